/**
 * Reader for the IDX format of (Fashion-)MNIST (LeCun): big-endian magic 0x000008NN (NN = number
 * of dimensions, element type unsigned byte), NN big-endian uint32 dimensions, then the bytes.
 */
import { PrivinferError } from '../../core/errors.ts'

export interface IdxArray {
  dims: number[]
  data: Uint8Array
}

export function parseIdx(bytes: Uint8Array, source: string): IdxArray {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (bytes.length < 4 || view.getUint16(0) !== 0 || view.getUint8(2) !== 0x08) {
    throw new PrivinferError('DATASET_UNAVAILABLE', `${source} is not an unsigned-byte IDX file`)
  }
  const rank = view.getUint8(3)
  const dims: number[] = []
  for (let i = 0; i < rank; i++) dims.push(view.getUint32(4 + 4 * i))
  const offset = 4 + 4 * rank
  const size = dims.reduce((product, dim) => product * dim, 1)
  if (bytes.length !== offset + size) {
    throw new PrivinferError(
      'DATASET_UNAVAILABLE',
      `${source}: expected ${offset + size} bytes, got ${bytes.length}`,
    )
  }
  return { dims, data: bytes.subarray(offset) }
}
