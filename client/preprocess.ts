/**
 * The card's public, data-independent preprocessing, applied on the client before encryption
 * (core/card.ts InputPreprocessing). Pure functions: no SEAL, no I/O.
 */
import type { InputPreprocessing } from '../core/card.ts'
import { PrivinferError } from '../core/errors.ts'

/**
 * Maps a raw input (rawSize numbers, row-major) to the model input (size numbers).
 * - none: returned as is.
 * - avgpool: [height, width] image -> non-overlapping pool x pool means -> [height/pool, width/pool].
 * @throws PrivinferError INPUT_INVALID for a wrong length or non-finite values.
 */
export function preprocessInput(
  preprocessing: InputPreprocessing,
  raw: ArrayLike<number>,
  rawSize: number,
): Float64Array {
  if (raw.length !== rawSize) {
    throw new PrivinferError(
      'INPUT_INVALID',
      `expected ${rawSize} input values, got ${raw.length}`,
      {
        expectedLength: rawSize,
        gotLength: raw.length,
      },
    )
  }
  const values = Float64Array.from(raw)
  if (!values.every(Number.isFinite))
    throw new PrivinferError('INPUT_INVALID', 'input values must be finite numbers')
  if (preprocessing.kind === 'none') return values
  const { height, width, pool } = preprocessing
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
