/**
 * Pure slot packing for the client: the input vector into CKKS slots (InputLayout) and the output
 * vector out of decrypted slots (OutputLayout), exactly as core/card.ts defines the layouts.
 * No SEAL here.
 */
import type { InputLayout, OutputLayout } from '../card.ts'
import { PrivinferError } from '../errors.ts'

/**
 * Slot values for input `x` under `layout`: slot (slotStart + q) of each block holds
 * x[inputOffset + q] when 0 <= inputOffset + q < inputSize, and 0 otherwise; other slots hold 0.
 *
 * @returns a Float64Array of layout.slotCount values.
 * @throws PrivinferError INPUT_INVALID when x does not have layout.inputSize finite numbers.
 * @throws PrivinferError INVALID_MODEL when the layout itself is inconsistent (overlapping or
 *   out-of-range blocks).
 */
export function packInput(layout: InputLayout, x: ArrayLike<number>): Float64Array {
  checkInputLayout(layout)
  if (x.length !== layout.inputSize) {
    throw new PrivinferError(
      'INPUT_INVALID',
      `input has ${x.length} values, the model expects ${layout.inputSize}`,
      { got: x.length, expected: layout.inputSize },
    )
  }
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) {
      throw new PrivinferError(
        'INPUT_INVALID',
        `input value at index ${i} is not a finite number`,
        {
          index: i,
        },
      )
    }
  }
  const slots = new Float64Array(layout.slotCount)
  for (const block of layout.blocks) {
    const first = Math.max(0, -block.inputOffset)
    const last = Math.min(block.length, layout.inputSize - block.inputOffset)
    for (let q = first; q < last; q++) slots[block.slotStart + q] = x[block.inputOffset + q]
  }
  return slots
}

/**
 * The output vector from decrypted slots: output[j] = sum over t < copies of
 * slots[offset + j + t * period], for 0 <= j < outputSize.
 * @throws PrivinferError INVALID_MODEL when the layout does not fit the slots.
 */
export function unpackOutput(layout: OutputLayout, slots: ArrayLike<number>): Float64Array {
  checkOutputLayout(layout, slots.length)
  const output = new Float64Array(layout.outputSize)
  for (let j = 0; j < layout.outputSize; j++) {
    let sum = 0
    for (let t = 0; t < layout.copies; t++) sum += slots[layout.offset + j + t * layout.period]
    output[j] = sum
  }
  return output
}

/**
 * Checks that an input layout is self-consistent: integer fields, blocks inside the slots and
 * not overlapping. @throws PrivinferError INVALID_MODEL otherwise.
 */
export function checkInputLayout(layout: InputLayout): void {
  const { slotCount, inputSize, blocks } = layout
  if (
    !isNonNegativeInteger(slotCount) ||
    !isNonNegativeInteger(inputSize) ||
    !Array.isArray(blocks)
  ) {
    throw invalidLayout('input layout needs integer slotCount, inputSize and a blocks array')
  }
  const sorted = [...blocks].sort((a, b) => a.slotStart - b.slotStart)
  let end = 0
  for (const block of sorted) {
    if (
      !isNonNegativeInteger(block.slotStart) ||
      !isNonNegativeInteger(block.length) ||
      !Number.isInteger(block.inputOffset)
    ) {
      throw invalidLayout('input layout block fields must be integers')
    }
    if (block.slotStart < end) throw invalidLayout('input layout blocks overlap')
    end = block.slotStart + block.length
    if (end > slotCount)
      throw invalidLayout(`input layout block ends at slot ${end} > ${slotCount}`)
  }
}

/** @throws PrivinferError INVALID_MODEL when the output layout does not fit `slotCount` slots. */
export function checkOutputLayout(layout: OutputLayout, slotCount: number): void {
  const { outputSize, offset, period, copies } = layout
  if (![outputSize, offset, period, copies].every(isNonNegativeInteger) || copies < 1) {
    throw invalidLayout('output layout needs non-negative integers and copies >= 1')
  }
  if (layout.slotCount !== slotCount) {
    throw invalidLayout(`output layout is for ${layout.slotCount} slots, got ${slotCount}`)
  }
  if (outputSize > 0 && offset + outputSize - 1 + (copies - 1) * period >= slotCount) {
    throw invalidLayout('output layout reads past the last slot')
  }
}

function isNonNegativeInteger(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 0
}

function invalidLayout(message: string): PrivinferError {
  return new PrivinferError('INVALID_MODEL', message)
}
