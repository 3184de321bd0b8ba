/**
 * Checks on untrusted bytes before SEAL sees them: the 16-byte SEAL header, a size bound, bounded
 * inflation (see inflate.ts), and the metadata that follows it (parms_id, size, scale), so that the
 * common rejections are precise and cost no WebAssembly memory.
 */
import { COMPRESSION_MODE_BYTE, type CompressionMode } from './compression.ts'
import { inflateBounded, InflateError } from './inflate.ts'
import { SEAL_HEADER_BYTES } from './sizes.ts'

/** SEALHeader::magic (little-endian bytes 5E A1). */
export const SEAL_MAGIC = 0xa15e
/** SEAL_VERSION_MAJOR of the serializations this code accepts (node-seal 7 = SEAL 4.1). */
export const SEAL_VERSION_MAJOR = 4

export interface SealHeader {
  versionMajor: number
  versionMinor: number
  compression: CompressionMode
  /** Total serialized size declared by the header, header included, in bytes. */
  declaredBytes: number
}

/** Why bytes were refused before SEAL saw them (callers turn it into their typed error). */
export class SealBytesProblem extends Error {}

const MODE_BY_BYTE = new Map<number, CompressionMode>(
  Object.entries(COMPRESSION_MODE_BYTE).map(([mode, byte]) => [byte, mode as CompressionMode]),
)

/**
 * Parses and checks a SEAL serialization header.
 * @throws SealBytesProblem on a short buffer, wrong magic or header size, another SEAL major
 *   version, an unknown compression mode, or a declared size different from `bytes.length`.
 */
export function parseSealHeader(bytes: Uint8Array): SealHeader {
  if (!(bytes instanceof Uint8Array)) throw new SealBytesProblem('not a byte array')
  if (bytes.length < SEAL_HEADER_BYTES) {
    throw new SealBytesProblem(`${bytes.length} bytes is shorter than a SEAL header`)
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (view.getUint16(0, true) !== SEAL_MAGIC) throw new SealBytesProblem('no SEAL magic number')
  if (view.getUint8(2) !== SEAL_HEADER_BYTES) throw new SealBytesProblem('bad SEAL header size')
  const versionMajor = view.getUint8(3)
  const versionMinor = view.getUint8(4)
  if (versionMajor !== SEAL_VERSION_MAJOR) {
    throw new SealBytesProblem(
      `SEAL serialization version ${versionMajor}.${versionMinor}, expected 4.x`,
    )
  }
  const compression = MODE_BY_BYTE.get(view.getUint8(5))
  if (compression === undefined) throw new SealBytesProblem('unknown compression mode')
  if (view.getUint16(6, true) !== 0) throw new SealBytesProblem('reserved header bytes are set')
  const declared = view.getBigUint64(8, true)
  if (declared !== BigInt(bytes.length)) {
    throw new SealBytesProblem(`header declares ${declared} bytes, got ${bytes.length}`)
  }
  return { versionMajor, versionMinor, compression, declaredBytes: bytes.length }
}

export interface UnwrappedSealBytes {
  header: SealHeader
  /**
   * The object in uncompressed form (header rewritten to compression none) when the input was
   * uncompressed or could be inflated here; otherwise the input unchanged (see `inflated`).
   */
  bytes: Uint8Array
  /** False when the input is compressed and this platform has no bounded inflater. */
  isUncompressed: boolean
}

/**
 * Checks the header and size bounds of untrusted SEAL bytes and returns them uncompressed.
 * @param maxUncompressedBytes the largest acceptable object in compression-none form; compressed
 *   inputs may be at most `maxGivenBytes` and may not inflate beyond `maxUncompressedBytes`.
 * @throws SealBytesProblem when a check fails or a compressed body does not inflate.
 */
export function unwrapSealBytes(
  bytes: Uint8Array,
  maxUncompressedBytes: number,
  maxGivenBytes: number,
): UnwrappedSealBytes {
  if (bytes instanceof Uint8Array && bytes.length > maxGivenBytes) {
    throw new SealBytesProblem(`${bytes.length} bytes exceeds the ${maxGivenBytes}-byte limit`)
  }
  const header = parseSealHeader(bytes)
  if (header.compression === 'none') {
    if (bytes.length > maxUncompressedBytes) {
      throw new SealBytesProblem(
        `${bytes.length} bytes exceeds the ${maxUncompressedBytes}-byte limit`,
      )
    }
    return { header, bytes: asPlainUint8Array(bytes), isUncompressed: true }
  }
  let body: Uint8Array | undefined
  try {
    body = inflateBounded(
      header.compression,
      bytes.subarray(SEAL_HEADER_BYTES),
      maxUncompressedBytes - SEAL_HEADER_BYTES,
    )
  } catch (error) {
    if (error instanceof InflateError) throw new SealBytesProblem(error.message)
    throw error
  }
  if (body === undefined) return { header, bytes: asPlainUint8Array(bytes), isUncompressed: false }
  const uncompressed = new Uint8Array(SEAL_HEADER_BYTES + body.length)
  uncompressed.set(bytes.subarray(0, SEAL_HEADER_BYTES), 0)
  uncompressed.set(body, SEAL_HEADER_BYTES)
  const view = new DataView(uncompressed.buffer)
  view.setUint8(5, COMPRESSION_MODE_BYTE.none)
  view.setBigUint64(8, BigInt(uncompressed.length), true)
  return { header, bytes: uncompressed, isUncompressed: true }
}

/**
 * The same bytes as a plain Uint8Array view (no copy). node-seal's loadFromArray refuses Uint8Array
 * subclasses such as Node's Buffer (what multer and fs hand out) with "expected Uint8Array".
 */
export function asPlainUint8Array(bytes: Uint8Array): Uint8Array {
  return bytes.constructor === Uint8Array
    ? bytes
    : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** Hex key of the parms_id stored at `offset` (four little-endian uint64 words), as parmsIdKey(). */
export function readParmsIdKey(bytes: Uint8Array, offset = SEAL_HEADER_BYTES): string {
  if (bytes.length < offset + 32) throw new SealBytesProblem('too short for a parms_id')
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, 32)
  let key = ''
  for (let word = 0; word < 4; word++) {
    key += view
      .getBigUint64(word * 8, true)
      .toString(16)
      .padStart(16, '0')
  }
  return key
}

/** Ciphertext metadata as serialized right after the header (uncompressed form only). */
export interface CiphertextPrelude {
  parmsIdKey: string
  isNttForm: boolean
  /** Number of polynomials (2 for a fresh or relinearized ciphertext). */
  size: number
  polyModulusDegree: number
  coeffModulusSize: number
  scale: number
}

const PRELUDE_END = SEAL_HEADER_BYTES + 32 + 1 + 4 * 8

/**
 * Reads a ciphertext's metadata from its uncompressed serialization.
 * @throws SealBytesProblem when the bytes are too short.
 */
export function readCiphertextPrelude(bytes: Uint8Array): CiphertextPrelude {
  if (bytes.length < PRELUDE_END) throw new SealBytesProblem('too short for a ciphertext')
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const offset = SEAL_HEADER_BYTES + 32
  const asNumber = (value: bigint) =>
    value > BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(value)
  return {
    parmsIdKey: readParmsIdKey(bytes),
    isNttForm: view.getUint8(offset) !== 0,
    size: asNumber(view.getBigUint64(offset + 1, true)),
    polyModulusDegree: asNumber(view.getBigUint64(offset + 9, true)),
    coeffModulusSize: asNumber(view.getBigUint64(offset + 17, true)),
    scale: view.getFloat64(offset + 25, true),
  }
}
