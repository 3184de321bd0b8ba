/**
 * The card's public, data-independent preprocessing, applied on the client before encryption
 * (core/card.ts InputPreprocessing). Pure functions: no SEAL, no I/O.
 */
import type { InputPreprocessing } from '../core/card.ts'
import { PrivinferError } from '../core/errors.ts'
import { applyPreprocessing } from '../core/features/preprocess.ts'

/**
 * Maps a raw input (rawSize numbers, row-major) to the model input (size numbers).
 * - none: returned as is.
 * - avgpool: [height, width] image -> non-overlapping pool x pool means -> [height/pool, width/pool].
 * - scattering: the scatter28-v1 features of a 28x28 image (core/features/scattering.ts).
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
  return applyPreprocessing(preprocessing, values)
}
