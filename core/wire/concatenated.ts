/**
 * Several SEAL objects in one body (the answer to a batch query): each object's 16-byte header
 * states its total size (bytes 8-15, uint64 little-endian), so concatenation needs no framing.
 */
import { PrivinferError } from '../errors.ts'
import { SEAL_HEADER_BYTES } from './sizes.ts'

/**
 * Splits concatenated SEAL serializations into views of `bytes`, one per object, in order.
 * @throws PrivinferError CIPHERTEXT_MALFORMED when the sizes do not tile the body or the count is
 *   not `expected` (when given).
 */
export function splitSealObjects(bytes: Uint8Array, expected?: number): Uint8Array[] {
  const objects: Uint8Array[] = []
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  for (let offset = 0; offset < bytes.length;) {
    if (bytes.length - offset < SEAL_HEADER_BYTES) {
      throw new PrivinferError('CIPHERTEXT_MALFORMED', 'truncated SEAL object in a batch answer')
    }
    const size = Number(view.getBigUint64(offset + 8, true))
    if (size < SEAL_HEADER_BYTES || offset + size > bytes.length) {
      throw new PrivinferError('CIPHERTEXT_MALFORMED', 'a SEAL object overruns the batch answer')
    }
    objects.push(bytes.subarray(offset, offset + size))
    offset += size
  }
  if (expected !== undefined && objects.length !== expected) {
    throw new PrivinferError(
      'CIPHERTEXT_MALFORMED',
      `expected ${expected} result ciphertexts, the answer holds ${objects.length}`,
      { got: objects.length, expected },
    )
  }
  return objects
}
