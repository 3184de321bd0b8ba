import { zstdCompressSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCkksContext, type CkksContext } from '../../../core/ckks/context.ts'
import { PrivinferError, type ErrorCode } from '../../../core/errors.ts'
import { createClientKeys, type ClientKeys } from '../../../core/he/client-keys.ts'
import { loadSeal, type Ciphertext, type SealModule } from '../../../core/seal/load.ts'
import { sealHeapBytes } from '../../../core/seal/stack-guard.ts'
import {
  loadCiphertext,
  saveCiphertext,
  validateCiphertext,
} from '../../../core/wire/ciphertext.ts'
import { COMPRESSION_MODES } from '../../../core/wire/compression.ts'
import { CiphertextWrongLevelError } from '../../../core/wire/errors.ts'
import { ciphertextBytes } from '../../../core/wire/sizes.ts'
import {
  freshTolerance,
  N4096,
  N8192,
  N8192_OTHER,
  seededRandom,
  thrownBy,
} from '../support/params.ts'

let seal: SealModule
let ctx: CkksContext
let keys: ClientKeys
const values = Float64Array.from({ length: 64 }, (_, i) => Math.sin(i) * 3)

beforeAll(async () => {
  seal = await loadSeal()
  ctx = createCkksContext(seal, N8192)
  keys = createClientKeys(ctx, { galoisSteps: [], relin: false })
})
afterAll(() => {
  keys.delete()
  ctx.delete()
})

/** The error code `fn` throws (failing on anything but a PrivinferError). */
function codeOf(fn: () => unknown): ErrorCode {
  const error = thrownBy(fn)
  if (!(error instanceof PrivinferError)) throw error
  return error.code
}

/** Loads or returns the rejection code; deletes a loaded ciphertext. */
function loadOutcome(bytes: Uint8Array, level = 3): 'loaded' | ErrorCode {
  try {
    loadCiphertext(ctx, bytes, { level }).delete()
    return 'loaded'
  } catch (error) {
    if (error instanceof PrivinferError) return error.code
    throw error
  }
}

function fresh(): Ciphertext {
  return keys.encrypt(values)
}

/** A fresh full (not seed-compressed) ciphertext, serialized with compression none. */
function freshBytes(): Uint8Array {
  const ciphertext = fresh()
  try {
    return saveCiphertext(ctx, ciphertext, 'none')
  } finally {
    ciphertext.delete()
  }
}

function decryptFirst(ciphertext: Ciphertext, count: number): number[] {
  return Array.from(keys.decrypt(ciphertext).subarray(0, count))
}

describe('saveCiphertext / loadCiphertext round trips', () => {
  it.each(COMPRESSION_MODES)('round-trips a full ciphertext with compression %s', (mode) => {
    const original = fresh()
    const bytes = saveCiphertext(ctx, original, mode)
    expect(bytes[5]).toBe({ none: 0, zlib: 1, zstd: 2 }[mode])
    if (mode === 'none') expect(bytes.length).toBe(ciphertextBytes(N8192, 3))
    const loaded = loadCiphertext(ctx, bytes, { level: 3 })
    const got = decryptFirst(loaded, values.length)
    got.forEach((value, i) =>
      expect(Math.abs(value - values[i])).toBeLessThan(freshTolerance(N8192)),
    )
    loaded.delete()
    original.delete()
  })

  it.each(COMPRESSION_MODES)(
    'round-trips a seed-compressed ciphertext with compression %s',
    (mode) => {
      const bytes = keys.encryptSerialized(values, { compression: mode })
      const loaded = loadCiphertext(ctx, bytes, { level: 3 })
      expect(loaded.size()).toBe(2)
      const got = decryptFirst(loaded, 4)
      got.forEach((value, i) =>
        expect(Math.abs(value - values[i])).toBeLessThan(freshTolerance(N8192)),
      )
      loaded.delete()
    },
  )

  it('loads from a Node Buffer slice (what multer hands out), which node-seal alone refuses', () => {
    for (const mode of ['none', 'zstd'] as const) {
      const bytes = keys.encryptSerialized(values, { compression: mode })
      const pooled = Buffer.concat([Buffer.alloc(7), Buffer.from(bytes), Buffer.alloc(5)])
      const slice = pooled.subarray(7, 7 + bytes.length)
      expect(slice.byteOffset).toBe(7)
      const loaded = loadCiphertext(ctx, slice, { level: 3 })
      expect(Math.abs(decryptFirst(loaded, 1)[0] - values[0])).toBeLessThan(freshTolerance(N8192))
      loaded.delete()
    }
  })

  it('loads a ciphertext at a lower level when that level is expected', () => {
    const ciphertext = fresh()
    ctx.evaluator.cipherModSwitchToNextInplace(ciphertext)
    const loaded = loadCiphertext(ctx, saveCiphertext(ctx, ciphertext, 'zstd'), { level: 2 })
    expect(ctx.levelOf(loaded)).toBe(2)
    loaded.delete()
    ciphertext.delete()
  })
})

describe('loadCiphertext rejects untrusted bytes with typed errors', () => {
  it('rejects garbage, empty and header-only bytes as CIPHERTEXT_MALFORMED', () => {
    const random = seededRandom(1)
    const garbage = Uint8Array.from({ length: 4096 }, () => Math.floor(random() * 256))
    expect(loadOutcome(garbage)).toBe('CIPHERTEXT_MALFORMED')
    expect(loadOutcome(new Uint8Array(0))).toBe('CIPHERTEXT_MALFORMED')
    const headerOnly = freshBytes().slice(0, 16)
    new DataView(headerOnly.buffer).setBigUint64(8, 16n, true)
    expect(loadOutcome(headerOnly)).toBe('CIPHERTEXT_MALFORMED')
  })

  it('rejects a header declaring an absurd size without allocating', () => {
    const bytes = freshBytes()
    new DataView(bytes.buffer).setBigUint64(8, 2n ** 62n, true)
    expect(loadOutcome(bytes)).toBe('CIPHERTEXT_MALFORMED')
  })

  it('rejects truncated ciphertexts (any compression) as CIPHERTEXT_MALFORMED', () => {
    for (const mode of COMPRESSION_MODES) {
      const bytes = keys.encryptSerialized(values, { compression: mode })
      for (const length of [17, 60, 100, 1000, Math.floor(bytes.length / 2), bytes.length - 1]) {
        const truncated = bytes.slice(0, length)
        expect(loadOutcome(truncated)).toBe('CIPHERTEXT_MALFORMED')
        // Also with the header's declared size patched to the truncated length.
        new DataView(truncated.buffer).setBigUint64(8, BigInt(length), true)
        expect(loadOutcome(truncated)).toBe('CIPHERTEXT_MALFORMED')
      }
    }
  })

  it('rejects a coefficient at or above its prime as CIPHERTEXT_MALFORMED (SEAL is_valid_for)', () => {
    const bytes = freshBytes()
    const firstCoefficient = 113 // header 16 + metadata 73 + array header 24
    bytes[firstCoefficient + 7] |= 0x80 // bit 63 of a word mod a 50-bit prime
    const error = thrownBy(() => loadCiphertext(ctx, bytes, { level: 3 }))
    expect((error as PrivinferError).code).toBe('CIPHERTEXT_MALFORMED')
    expect((error as Error).message).toContain('SEAL refused it')
  })

  it('answers every bit flip with a loaded ciphertext or a typed ciphertext error', () => {
    const random = seededRandom(7)
    const outcomes = new Map<string, number>()
    for (const mode of ['none', 'zstd'] as const) {
      const original = keys.encryptSerialized(values, { compression: mode })
      for (let trial = 0; trial < 150; trial++) {
        const flipped = original.slice()
        // Half the flips in the first 200 bytes (header and metadata), half anywhere.
        const limit = trial % 2 === 0 ? Math.min(200, flipped.length) : flipped.length
        const position = Math.floor(random() * limit)
        flipped[position] ^= 1 << Math.floor(random() * 8)
        const outcome = loadOutcome(flipped)
        expect(outcome === 'loaded' || outcome.startsWith('CIPHERTEXT_')).toBe(true)
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1)
      }
    }
    // Metadata flips must be caught: most trials are rejected.
    expect(outcomes.get('CIPHERTEXT_MALFORMED') ?? 0).toBeGreaterThan(50)
  })

  it('rejects a ciphertext made under other parameters as CIPHERTEXT_WRONG_PARAMETERS', () => {
    for (const params of [N8192_OTHER, N4096]) {
      const other = createCkksContext(seal, params)
      const otherKeys = createClientKeys(other, { galoisSteps: [], relin: false })
      const bytes = otherKeys.encryptSerialized(values.subarray(0, 8))
      expect(codeOf(() => loadCiphertext(ctx, bytes, { level: 3 }))).toBe(
        'CIPHERTEXT_WRONG_PARAMETERS',
      )
      otherKeys.delete()
      other.delete()
    }
  })

  it('rejects a mod-switched ciphertext with CIPHERTEXT_WRONG_LEVEL and got/expected', () => {
    const ciphertext = fresh()
    ctx.evaluator.cipherModSwitchToNextInplace(ciphertext)
    for (const mode of ['none', 'zstd'] as const) {
      const error = thrownBy(() =>
        loadCiphertext(ctx, saveCiphertext(ctx, ciphertext, mode), { level: 3 }),
      )
      expect(error).toBeInstanceOf(CiphertextWrongLevelError)
      expect((error as PrivinferError).details).toEqual({ got: 2, expected: 3 })
    }
    // And a top-level ciphertext where level 0 is expected.
    const top = fresh()
    expect(
      (
        thrownBy(() =>
          loadCiphertext(ctx, saveCiphertext(ctx, top, 'zstd'), { level: 0 }),
        ) as PrivinferError
      ).details,
    ).toEqual({ got: 3, expected: 0 })
    top.delete()
    ciphertext.delete()
  })

  it('rejects a ciphertext claiming the key level as CIPHERTEXT_WRONG_LEVEL', () => {
    const bytes = freshBytes()
    const keyParmsId = Buffer.from(
      ctx.keyParmsIdKey
        .match(/.{16}/g)!
        .map((word) => {
          const buffer = Buffer.alloc(8)
          buffer.writeBigUInt64LE(BigInt(`0x${word}`))
          return buffer
        })
        .reduce((a, b) => Buffer.concat([a, b])),
    )
    bytes.set(keyParmsId, 16)
    expect(codeOf(() => loadCiphertext(ctx, bytes, { level: 3 }))).toBe('CIPHERTEXT_WRONG_LEVEL')
  })

  it('rejects the wrong scale as CIPHERTEXT_WRONG_SCALE, within a relative tolerance', () => {
    const bytes = keys.encryptSerialized(values, { scale: 2 ** 30 })
    expect(codeOf(() => loadCiphertext(ctx, bytes, { level: 3 }))).toBe('CIPHERTEXT_WRONG_SCALE')
    loadCiphertext(ctx, bytes, { level: 3, scale: 2 ** 30 }).delete()
    loadCiphertext(ctx, bytes, { level: 3, scale: null }).delete()
    const nearly = keys.encryptSerialized(values, { scale: 2 ** 36 * (1 + 1e-6) })
    expect(codeOf(() => loadCiphertext(ctx, nearly, { level: 3 }))).toBe('CIPHERTEXT_WRONG_SCALE')
    loadCiphertext(ctx, nearly, { level: 3, scaleTolerance: 1e-5 }).delete()
  })

  it('rejects a product without relinearization (size 3) as CIPHERTEXT_WRONG_SIZE', () => {
    const ciphertext = fresh()
    const product = new seal.Ciphertext()
    ctx.evaluator.square(ciphertext, product)
    expect(product.size()).toBe(3)
    for (const mode of COMPRESSION_MODES) {
      const error = thrownBy(() =>
        loadCiphertext(ctx, saveCiphertext(ctx, product, mode), { level: 3 }),
      )
      expect((error as PrivinferError).code).toBe('CIPHERTEXT_WRONG_SIZE')
      expect((error as PrivinferError).details).toEqual({ got: 3, expected: 2 })
    }
    expect(codeOf(() => validateCiphertext(ctx, product, { level: 3 }))).toBe(
      'CIPHERTEXT_WRONG_SIZE',
    )
    product.delete()
    ciphertext.delete()
  })

  it('rejects a transparent ciphertext (mask polynomial zeroed) as CIPHERTEXT_TRANSPARENT', () => {
    // node-seal's "throws" build refuses to produce one, so it is crafted: c1 = 0 leaves c0 = m + e.
    const bytes = freshBytes()
    const polynomialBytes = 4 * 8192 * 8
    bytes.fill(0, bytes.length - polynomialBytes)
    expect(codeOf(() => loadCiphertext(ctx, bytes, { level: 3 }))).toBe('CIPHERTEXT_TRANSPARENT')
    // The in-memory check says the same of the object SEAL loads from those bytes.
    const transparent = new seal.Ciphertext()
    transparent.loadFromArray(ctx.context, bytes)
    expect(transparent.isTransparent()).toBe(true)
    expect(codeOf(() => validateCiphertext(ctx, transparent, { level: 3 }))).toBe(
      'CIPHERTEXT_TRANSPARENT',
    )
    transparent.delete()
  })

  it('rejects a decompression bomb before it reaches the WebAssembly heap', () => {
    const zeros = new Uint8Array(64 * 1024 * 1024)
    const body = zstdCompressSync(zeros)
    const bytes = new Uint8Array(16 + body.length)
    const view = new DataView(bytes.buffer)
    view.setUint16(0, 0xa15e, true)
    bytes.set([16, 4, 1, 2], 2)
    view.setBigUint64(8, BigInt(bytes.length), true)
    bytes.set(body, 16)
    expect(bytes.length).toBeLessThan(10_000)
    const heapBefore = sealHeapBytes(seal)
    const error = thrownBy(() => loadCiphertext(ctx, bytes, { level: 3 }))
    expect((error as PrivinferError).code).toBe('CIPHERTEXT_MALFORMED')
    expect((error as Error).message).toContain('inflates to more than')
    expect(sealHeapBytes(seal)).toBe(heapBefore)
  })

  it('rejects uploads larger than an unrelinearized top-level ciphertext', () => {
    const bytes = new Uint8Array(ciphertextBytes(N8192, 3, 3) + 1)
    const view = new DataView(bytes.buffer)
    view.setUint16(0, 0xa15e, true)
    bytes.set([16, 4, 1, 0], 2)
    view.setBigUint64(8, BigInt(bytes.length), true)
    const error = thrownBy(() => loadCiphertext(ctx, bytes, { level: 3 }))
    expect((error as PrivinferError).code).toBe('CIPHERTEXT_MALFORMED')
    expect((error as Error).message).toContain('limit')
  })

  it('treats an expected level outside the chain as a caller bug (RangeError)', () => {
    expect(() => loadCiphertext(ctx, new Uint8Array(0), { level: 4 })).toThrow(RangeError)
  })
})
