/**
 * Slot contents: for every slot of a packed vector, which element of the logical vector it holds.
 * `contents[s] = i >= 0` means slot s holds x[i]; `EMPTY` (-1) means the slot holds 0 or a value no
 * product may use (padding, partial sums). The diagonal assignment reads these maps, so any layout
 * (replicated, pre-rotated replicas, partially folded) is handled by the same code.
 */
import type { InputLayout } from '../card.ts'

export const EMPTY = -1

/** Contents of a client input layout (core/card.ts InputLayout semantics). */
export function contentsOfInputLayout(layout: InputLayout): Int32Array {
  const contents = new Int32Array(layout.slotCount).fill(EMPTY)
  for (const block of layout.blocks) {
    for (let q = 0; q < block.length; q++) {
      const index = block.inputOffset + q
      if (index >= 0 && index < layout.inputSize) contents[block.slotStart + q] = index
    }
  }
  return contents
}

/**
 * Contents of a vector of `size` elements replicated with period `period` over `slotCount` slots:
 * slot s holds x[s mod period] when s mod period < size (the layout a full fold leaves behind).
 */
export function replicatedContents(size: number, period: number, slotCount: number): Int32Array {
  const contents = new Int32Array(slotCount)
  for (let s = 0; s < slotCount; s++) {
    const index = s % period
    contents[s] = index < size ? index : EMPTY
  }
  return contents
}

/** Packs x into slots according to a contents map (zeros elsewhere). */
export function packByContents(contents: Int32Array, x: ArrayLike<number>): Float64Array {
  const slots = new Float64Array(contents.length)
  for (let s = 0; s < contents.length; s++) {
    const index = contents[s]
    if (index >= 0) slots[s] = x[index]
  }
  return slots
}
