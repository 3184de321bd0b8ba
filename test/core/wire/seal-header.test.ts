import { deflateSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import {
  parseSealHeader,
  readCiphertextPrelude,
  readParmsIdKey,
  SealBytesProblem,
  unwrapSealBytes,
} from '../../../core/wire/seal-header.ts'
import { thrownBy } from '../support/params.ts'

/** A SEAL 4.1 header for `total` bytes in compression mode `mode`, followed by `body`. */
function sealBytes(body: Uint8Array, mode = 0, total = 16 + body.length): Uint8Array {
  const bytes = new Uint8Array(16 + body.length)
  const view = new DataView(bytes.buffer)
  view.setUint16(0, 0xa15e, true)
  bytes.set([16, 4, 1, mode], 2)
  view.setBigUint64(8, BigInt(total), true)
  bytes.set(body, 16)
  return bytes
}

const problemOf = (fn: () => unknown) => {
  const error = thrownBy(fn)
  expect(error).toBeInstanceOf(SealBytesProblem)
  return (error as Error).message
}

describe('parseSealHeader', () => {
  it('reads version, compression and declared size', () => {
    expect(parseSealHeader(sealBytes(new Uint8Array(8), 2))).toEqual({
      versionMajor: 4,
      versionMinor: 1,
      compression: 'zstd',
      declaredBytes: 24,
    })
  })

  it('rejects short buffers, wrong magic, header size, version, mode and reserved bytes', () => {
    expect(problemOf(() => parseSealHeader(new Uint8Array(15)))).toContain(
      'shorter than a SEAL header',
    )
    const cases: Array<[number, number, string]> = [
      [0, 0x00, 'magic'],
      [2, 17, 'header size'],
      [3, 3, 'version 3.1'],
      [5, 3, 'compression mode'],
      [6, 1, 'reserved'],
    ]
    for (const [offset, value, message] of cases) {
      const bytes = sealBytes(new Uint8Array(8))
      bytes[offset] = value
      expect(problemOf(() => parseSealHeader(bytes))).toContain(message)
    }
  })

  it('rejects a declared size different from the byte count', () => {
    expect(problemOf(() => parseSealHeader(sealBytes(new Uint8Array(8), 0, 100)))).toContain(
      'declares 100 bytes, got 24',
    )
  })
})

describe('unwrapSealBytes', () => {
  it('returns uncompressed bytes as they are, within the bound', () => {
    const bytes = sealBytes(new Uint8Array(100))
    expect(unwrapSealBytes(bytes, 116, 200).bytes).toBe(bytes)
    expect(problemOf(() => unwrapSealBytes(bytes, 115, 200))).toContain('limit')
    expect(problemOf(() => unwrapSealBytes(bytes, 1000, 100))).toContain('limit')
  })

  it('inflates zlib bodies into an uncompressed SEAL object, refusing to exceed the bound', () => {
    const body = Uint8Array.from({ length: 1000 }, (_, i) => i % 7)
    const bytes = sealBytes(deflateSync(body), 1)
    const unwrapped = unwrapSealBytes(bytes, 1016, 5000)
    expect(unwrapped.isUncompressed).toBe(true)
    expect(parseSealHeader(unwrapped.bytes).compression).toBe('none')
    expect(Array.from(unwrapped.bytes.subarray(16))).toEqual(Array.from(body))
    expect(problemOf(() => unwrapSealBytes(bytes, 1015, 5000))).toContain('inflates to more than')
    expect(
      problemOf(() => unwrapSealBytes(sealBytes(Uint8Array.of(1, 2, 3), 2), 1000, 1000)),
    ).toContain('does not inflate')
  })
})

describe('metadata readers', () => {
  it('read the parms_id words and ciphertext metadata at their SEAL offsets', () => {
    const body = new Uint8Array(73)
    const view = new DataView(body.buffer)
    view.setBigUint64(0, 0x0123456789abcdefn, true)
    view.setUint8(32, 1)
    view.setBigUint64(33, 2n, true)
    view.setBigUint64(41, 8192n, true)
    view.setBigUint64(49, 4n, true)
    view.setFloat64(57, 2 ** 36, true)
    const bytes = sealBytes(body)
    expect(readParmsIdKey(bytes)).toBe('0123456789abcdef' + '0'.repeat(48))
    expect(readCiphertextPrelude(bytes)).toMatchObject({
      isNttForm: true,
      size: 2,
      polyModulusDegree: 8192,
      coeffModulusSize: 4,
      scale: 2 ** 36,
    })
    expect(problemOf(() => readCiphertextPrelude(bytes.subarray(0, 80)))).toContain('too short')
  })
})
