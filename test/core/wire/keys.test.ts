import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCkksContext, type CkksContext } from '../../../core/ckks/context.ts'
import { PrivinferError, type ErrorCode } from '../../../core/errors.ts'
import { createClientKeys, type ClientKeys } from '../../../core/he/client-keys.ts'
import { loadSeal, type SealModule } from '../../../core/seal/load.ts'
import {
  galoisElementForStep,
  galoisElementsForSteps,
  loadGaloisKeys,
  loadRelinKeys,
} from '../../../core/wire/keys.ts'
import {
  evaluatedTolerance,
  N4096,
  N8192,
  N8192_OTHER,
  seededRandom,
  thrownBy,
} from '../support/params.ts'

let seal: SealModule
let ctx: CkksContext
let keys: ClientKeys
const steps = [1, -1, 8, 100]

beforeAll(async () => {
  seal = await loadSeal()
  ctx = createCkksContext(seal, N8192)
  keys = createClientKeys(ctx, { galoisSteps: steps, relin: true })
})
afterAll(() => {
  keys.delete()
  ctx.delete()
})

function codeOf(fn: () => unknown): ErrorCode {
  const error = thrownBy(fn)
  if (!(error instanceof PrivinferError)) throw error
  return error.code
}

describe('galoisElementForStep', () => {
  it('matches the elements SEAL generates keys for (GaloisTool::get_elt_from_step)', async () => {
    const small = createCkksContext(seal, N4096)
    const allSteps = [1, -1, 2, 5, -7, 100, 2047, -2047]
    const keyGenerator = new seal.KeyGenerator(small.context)
    for (const step of allSteps) {
      const galoisKeys = keyGenerator.createGaloisKeysWithSteps(Int32Array.from([step]))
      const element = galoisElementForStep(N4096, step)
      expect(galoisKeys.hasKey(element)).toBe(true)
      expect(galoisKeys.getIndex(element)).toBe((element - 1) / 2)
      expect(galoisKeys.size()).toBe(1)
      galoisKeys.delete()
    }
    keyGenerator.delete()
    small.delete()
  })

  it('is 3^step mod 2N, with negative steps as N/2 - |step| and step 0 as conjugation', () => {
    expect(galoisElementForStep(N8192, 1)).toBe(3)
    expect(galoisElementForStep(N8192, 2)).toBe(9)
    expect(galoisElementForStep(N8192, 0)).toBe(16383)
    expect(galoisElementForStep(N8192, -1)).toBe(galoisElementForStep(N8192, 4095))
    expect(galoisElementsForSteps(N8192, [1, 1, -4095, 2])).toEqual([3, 9])
  })

  it('rejects steps that are not rotations (|step| >= N/2, fractions)', () => {
    expect(() => galoisElementForStep(N8192, 4096)).toThrow(RangeError)
    expect(() => galoisElementForStep(N8192, -4096)).toThrow(RangeError)
    expect(() => galoisElementForStep(N8192, 1.5)).toThrow(RangeError)
  })
})

describe('loadGaloisKeys', () => {
  it('loads seed-compressed zstd keys and full keys with every required step', () => {
    const bundle = keys.evaluationKeyBundle()
    const galoisKeys = loadGaloisKeys(ctx, bundle.galoisKeys, steps)
    expect(galoisKeys.size()).toBe(4)
    galoisKeys.delete()
    const local = keys.evaluationKeysForLocalUse()
    const full = Uint8Array.from(local.galoisKeys.saveToArray(seal.ComprModeType.none))
    local.delete()
    loadGaloisKeys(ctx, full, steps).delete()
  })

  it('loads keys from Node Buffer slices', () => {
    const bundle = keys.evaluationKeyBundle()
    const slice = (bytes: Uint8Array) =>
      Buffer.concat([Buffer.alloc(3), Buffer.from(bytes)]).subarray(3)
    loadGaloisKeys(ctx, slice(bundle.galoisKeys), steps).delete()
    loadRelinKeys(ctx, slice(bundle.relinKeys!)).delete()
  })

  it('rejects keys lacking a required step with KEYS_MISSING_STEPS listing them', () => {
    const error = thrownBy(() =>
      loadGaloisKeys(ctx, keys.evaluationKeyBundle().galoisKeys, [1, 2, 8, 4, 2]),
    )
    expect((error as PrivinferError).code).toBe('KEYS_MISSING_STEPS')
    expect((error as PrivinferError).details).toEqual({ missingSteps: [2, 4] })
  })

  it('rejects Galois keys made under other parameters with KEYS_WRONG_PARAMETERS', () => {
    for (const params of [N8192_OTHER, N4096]) {
      const other = createCkksContext(seal, params)
      const otherKeys = createClientKeys(other, { galoisSteps: [1], relin: true })
      const bundle = otherKeys.evaluationKeyBundle()
      expect(codeOf(() => loadGaloisKeys(ctx, bundle.galoisKeys, [1]))).toBe(
        'KEYS_WRONG_PARAMETERS',
      )
      expect(codeOf(() => loadRelinKeys(ctx, bundle.relinKeys!))).toBe('KEYS_WRONG_PARAMETERS')
      otherKeys.delete()
      other.delete()
    }
  })

  it('rejects keys of larger parameters (beyond this size bound) with KEYS_WRONG_PARAMETERS', () => {
    // keys were made under N8192 (4 data primes, 4 steps): too large for N8192_OTHER's bound, so
    // the parms_id is read from the start of the (compressed or not) body.
    const smaller = createCkksContext(seal, N8192_OTHER)
    try {
      for (const mode of ['zstd', 'zlib', 'none'] as const) {
        const bundle = keys.evaluationKeyBundle(mode)
        expect(codeOf(() => loadGaloisKeys(smaller, bundle.galoisKeys, [1]))).toBe(
          'KEYS_WRONG_PARAMETERS',
        )
        expect(codeOf(() => loadRelinKeys(smaller, bundle.relinKeys!))).toBe(
          'KEYS_WRONG_PARAMETERS',
        )
      }
    } finally {
      smaller.delete()
    }
  })

  it('rejects garbage and truncated key bytes with KEYS_MALFORMED', () => {
    const random = seededRandom(3)
    const garbage = Uint8Array.from({ length: 10_000 }, () => Math.floor(random() * 256))
    expect(codeOf(() => loadGaloisKeys(ctx, garbage, [1]))).toBe('KEYS_MALFORMED')
    expect(codeOf(() => loadRelinKeys(ctx, garbage))).toBe('KEYS_MALFORMED')
    const bytes = keys.evaluationKeyBundle('none').galoisKeys
    for (const length of [10, 47, 100, 70_000, bytes.length - 1]) {
      const truncated = bytes.slice(0, length)
      if (length >= 16) new DataView(truncated.buffer).setBigUint64(8, BigInt(length), true)
      expect(codeOf(() => loadGaloisKeys(ctx, truncated, [1]))).toBe('KEYS_MALFORMED')
    }
  })

  it('rejects a key coefficient at or above its prime with KEYS_MALFORMED (SEAL is_valid_for)', () => {
    const bytes = keys.evaluationKeyBundle('none').relinKeys!.slice()
    // First coefficient of the first key ciphertext: after the outer header and metadata (16 + 40),
    // the inner count (8), the nested key header (16) and ciphertext metadata (73 + 24).
    const firstCoefficient = 16 + 40 + 8 + 16 + 73 + 24
    bytes[firstCoefficient + 7] |= 0x80
    const error = thrownBy(() => loadRelinKeys(ctx, bytes))
    expect((error as PrivinferError).code).toBe('KEYS_MALFORMED')
    expect((error as Error).message).toContain('SEAL refused them')
  })

  it('tells relinearization keys from Galois keys', () => {
    const bundle = keys.evaluationKeyBundle()
    expect(codeOf(() => loadGaloisKeys(ctx, bundle.relinKeys!, [1]))).toBe('KEYS_MISSING_STEPS')
    expect(codeOf(() => loadRelinKeys(ctx, bundle.galoisKeys))).toBe('KEYS_MALFORMED')
  })

  it('bounds the size by the number of required steps', () => {
    // Full (not seed-compressed) keys for 4 steps exceed the bound of 1 full key.
    const bytes = keys.evaluationKeyBundle('none').galoisKeys
    const local = keys.evaluationKeysForLocalUse()
    const full = Uint8Array.from(local.galoisKeys.saveToArray(seal.ComprModeType.none))
    local.delete()
    expect(bytes.length).toBeLessThan(full.length)
    const error = thrownBy(() => loadGaloisKeys(ctx, full, [1]))
    expect((error as PrivinferError).code).toBe('KEYS_MALFORMED')
    expect((error as Error).message).toContain('limit')
  })
})

describe('loadRelinKeys', () => {
  it('loads seed-compressed relinearization keys that relinearize a product', () => {
    const relinKeys = loadRelinKeys(ctx, keys.evaluationKeyBundle().relinKeys!)
    const ciphertext = keys.encrypt([1.5, -2])
    ctx.evaluator.squareInplace(ciphertext)
    ctx.evaluator.relinearizeInplace(ciphertext, relinKeys)
    expect(ciphertext.size()).toBe(2)
    ctx.evaluator.rescaleToNextInplace(ciphertext)
    const [a, b] = keys.decrypt(ciphertext)
    expect(Math.abs(a - 2.25)).toBeLessThan(evaluatedTolerance(N8192))
    expect(Math.abs(b - 4)).toBeLessThan(evaluatedTolerance(N8192))
    ciphertext.delete()
    relinKeys.delete()
  })
})
