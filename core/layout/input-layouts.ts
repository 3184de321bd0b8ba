/**
 * Client input layouts (core/card.ts InputLayout): plain replication and pre-rotated replicas.
 */
import type { InputLayout } from '../card.ts'

/**
 * x (length inputSize) repeated with period `period` over all slots: blocks {k*period, period, 0}.
 * @throws RangeError when period does not divide slotCount or is smaller than inputSize.
 */
export function replicatedLayout(
  inputSize: number,
  period: number,
  slotCount: number,
): InputLayout {
  if (slotCount % period !== 0 || period < inputSize) {
    throw new RangeError(
      `period ${period} must divide ${slotCount} slots and hold ${inputSize} inputs`,
    )
  }
  const blocks = []
  for (let start = 0; start < slotCount; start += period) {
    blocks.push({ slotStart: start, length: period, inputOffset: 0 })
  }
  return { slotCount, inputSize, blocks }
}

/**
 * Pre-rotated replicas (DESIGN.md §Packing): `slotCount / period` blocks of `period` slots, block b
 * holding x_ext[q + offset_b] at slot q with offset_b = firstOffset + b * offsetStep, x_ext being x
 * padded with zeros. A first layer with M output rows then needs only about M / blocks rotations,
 * because block b already holds the input rotated by b * offsetStep (free for the client).
 */
export function preRotatedLayout(
  inputSize: number,
  period: number,
  slotCount: number,
  firstOffset: number,
  offsetStep: number,
): InputLayout {
  if (slotCount % period !== 0) throw new RangeError(`period ${period} must divide ${slotCount}`)
  const blocks = []
  for (let b = 0; b < slotCount / period; b++) {
    blocks.push({
      slotStart: b * period,
      length: period,
      inputOffset: firstOffset + b * offsetStep,
    })
  }
  return { slotCount, inputSize, blocks }
}

/**
 * `replicas` copies of x, copy j in slots [j·period, (j+1)·period) with x[0] at slot j·period + lead
 * (blocks {j·period, period, −lead}). The first convolution's layout (grid-placement.ts): each
 * output channel group reads its own copy, so a kernel tap is one rotation for all channels; the
 * lead leaves room for the top/left padding reads of the window corners.
 * @throws RangeError when the copies do not fit the slots.
 */
export function replicaLayout(
  inputSize: number,
  slotCount: number,
  replicas: number,
  period: number,
  lead: number,
): InputLayout {
  if (replicas < 1 || replicas * period > slotCount || lead < 0 || lead + inputSize > period) {
    throw new RangeError(
      `${replicas} copies of ${inputSize} inputs with lead ${lead} do not fit periods of ${period} in ${slotCount} slots`,
    )
  }
  const blocks = []
  for (let j = 0; j < replicas; j++)
    blocks.push({ slotStart: j * period, length: period, inputOffset: -lead })
  return { slotCount, inputSize, blocks }
}
