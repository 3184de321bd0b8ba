/**
 * The card's input preprocessing (core/card.ts InputPreprocessing) as one pure function shared by the
 * client (before encryption) and the trainer (before training), so the two cannot drift apart.
 */
import type { InputPreprocessing } from '../card.ts'
import { PrivinferError } from '../errors.ts'
import { SCATTER_FEATURE_COUNT, SCATTER28_V1, scatter28 } from './scattering.ts'

/** Length of the preprocessed vector for a raw input of `rawSize` values. */
export function preprocessedSize(preprocessing: InputPreprocessing, rawSize: number): number {
  switch (preprocessing.kind) {
    case 'none':
      return rawSize
    case 'avgpool':
      return (
        Math.floor(preprocessing.height / preprocessing.pool) *
        Math.floor(preprocessing.width / preprocessing.pool)
      )
    case 'scattering':
      return SCATTER_FEATURE_COUNT
    default:
      return unknownKind(preprocessing)
  }
}

/**
 * Applies the preprocessing to one raw input (already checked for length and finiteness).
 * @throws PrivinferError INVALID_MODEL for a preprocessing this version does not know.
 */
export function applyPreprocessing(
  preprocessing: InputPreprocessing,
  raw: ArrayLike<number>,
): Float64Array {
  switch (preprocessing.kind) {
    case 'none':
      return Float64Array.from(raw)
    case 'avgpool':
      return averagePool(raw, preprocessing.height, preprocessing.width, preprocessing.pool)
    case 'scattering':
      if (preprocessing.transform !== SCATTER28_V1) {
        throw new PrivinferError(
          'INVALID_MODEL',
          `unknown scattering transform '${String(preprocessing.transform)}' (this client knows ${SCATTER28_V1})`,
        )
      }
      return scatter28(raw)
    default:
      return unknownKind(preprocessing)
  }
}

/** Non-overlapping pool x pool means of a row-major [height, width] image. */
function averagePool(
  values: ArrayLike<number>,
  height: number,
  width: number,
  pool: number,
): Float64Array {
  const outHeight = Math.floor(height / pool)
  const outWidth = Math.floor(width / pool)
  const pooled = new Float64Array(outHeight * outWidth)
  for (let row = 0; row < outHeight; row++) {
    for (let col = 0; col < outWidth; col++) {
      let sum = 0
      for (let dy = 0; dy < pool; dy++) {
        for (let dx = 0; dx < pool; dx++) sum += values[(row * pool + dy) * width + col * pool + dx]
      }
      pooled[row * outWidth + col] = sum / (pool * pool)
    }
  }
  return pooled
}

function unknownKind(preprocessing: never): never {
  throw new PrivinferError(
    'INVALID_MODEL',
    `unknown input preprocessing '${String((preprocessing as { kind: unknown }).kind)}'`,
  )
}
