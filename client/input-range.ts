/**
 * The raw input's value range declared by the card (card.input.range), checked on the client before
 * encryption: a model trained on [0, 1] pixels silently gives confident nonsense for 0-255 pixels.
 * Pure functions: no SEAL, no I/O.
 */
import type { InputRange } from '../core/card.ts'
import { PrivinferError } from '../core/errors.ts'

/** True when `values` look like 8-bit pixels (integers in [0, 255], some above 1). */
export function looksLike8BitImage(values: ArrayLike<number>): boolean {
  let above1 = false
  for (let i = 0; i < values.length; i++) {
    const value = values[i]
    if (!Number.isInteger(value) || value < 0 || value > 255) return false
    if (value > 1) above1 = true
  }
  return above1
}

/**
 * Throws when a value of `raw` lies outside `input.range` (no check when the card declares none).
 * @throws PrivinferError INPUT_INVALID with {index, value, min, max}; for 0-255 pixels given to a
 *   [0, 1] model the message says to divide by 255.
 */
export function checkInputRange(input: { range?: InputRange }, raw: ArrayLike<number>): void {
  const { range } = input
  if (range === undefined) return
  for (let index = 0; index < raw.length; index++) {
    const value = raw[index]
    if (value >= range.min && value <= range.max) continue
    const hint =
      range.min === 0 && range.max === 1 && looksLike8BitImage(raw)
        ? ': these look like 0-255 pixels; divide them by 255'
        : ''
    throw new PrivinferError(
      'INPUT_INVALID',
      `input value ${value} at index ${index} is outside the model's input range [${range.min}, ${range.max}]${hint}`,
      { index, value, min: range.min, max: range.max },
    )
  }
}
