/**
 * Slot packing of a batch (core/card.ts BatchCard), pure, no SEAL: the client packs K inputs into
 * one ciphertext (lanes) or into one ciphertext per feature (features) and unpacks K outputs.
 * docs/api.md "Batch queries" states the same rules for third-party clients.
 */
import type { InputLayout, OutputLayout } from '../card.ts'
import { PrivinferError } from '../errors.ts'
import { checkOutputLayout, packInput } from './slots.ts'

function checkCount(count: number, maxBatch: number): void {
  if (count < 1 || count > maxBatch) {
    throw new PrivinferError(
      'BATCH_TOO_LARGE',
      `a query holds 1 to ${maxBatch} inputs, got ${count}`,
      { got: count, maxBatch },
    )
  }
}

/**
 * Lanes: input k (k < inputs.length <= lanes) packed per the virtual `layout` (packInput), virtual
 * slot v at real slot v·lanes + k; lanes without an input stay 0.
 * @returns layout.slotCount · lanes real slot values.
 * @throws PrivinferError BATCH_TOO_LARGE (more inputs than lanes), INPUT_INVALID (packInput).
 */
export function packLanes(
  layout: InputLayout,
  lanes: number,
  inputs: ReadonlyArray<ArrayLike<number>>,
): Float64Array {
  checkCount(inputs.length, lanes)
  const real = new Float64Array(layout.slotCount * lanes)
  inputs.forEach((x, k) => {
    const virtual = packInput(layout, x)
    for (let v = 0; v < virtual.length; v++) real[v * lanes + k] = virtual[v]
  })
  return real
}

/**
 * Lanes: the outputs of the first `count` inputs from the decrypted real slots: output_k[j] =
 * Σ_{t < copies} slots[(offset + j + t·period)·lanes + k].
 * @throws PrivinferError INVALID_MODEL when the layout does not fit the slots.
 */
export function unpackLanes(
  layout: OutputLayout,
  lanes: number,
  slots: ArrayLike<number>,
  count: number,
): Float64Array[] {
  checkOutputLayout(layout, slots.length / lanes)
  checkCount(count, lanes)
  return Array.from({ length: count }, (_, k) => {
    const output = new Float64Array(layout.outputSize)
    for (let j = 0; j < layout.outputSize; j++) {
      let sum = 0
      for (let t = 0; t < layout.copies; t++)
        sum += slots[(layout.offset + j + t * layout.period) * lanes + k]
      output[j] = sum
    }
    return output
  })
}

/**
 * Features: ciphertext i's slots, slot k = inputs[k][i] (k < inputs.length <= slotCount), other
 * slots 0.
 * @returns inputSize slot vectors of slotCount values.
 * @throws PrivinferError BATCH_TOO_LARGE, INPUT_INVALID (wrong length, non-finite value).
 */
export function packFeatures(
  inputSize: number,
  slotCount: number,
  inputs: ReadonlyArray<ArrayLike<number>>,
): Float64Array[] {
  checkCount(inputs.length, slotCount)
  const features = Array.from({ length: inputSize }, () => new Float64Array(slotCount))
  inputs.forEach((x, k) => {
    if (x.length !== inputSize) {
      throw new PrivinferError(
        'INPUT_INVALID',
        `input ${k} has ${x.length} values, the model expects ${inputSize}`,
        { index: k, got: x.length, expected: inputSize },
      )
    }
    for (let i = 0; i < inputSize; i++) {
      if (!Number.isFinite(x[i])) {
        throw new PrivinferError('INPUT_INVALID', `input ${k}: value ${i} is not a finite number`, {
          index: k,
        })
      }
      features[i][k] = x[i]
    }
  })
  return features
}

/** Features: output_k[j] = outputSlots[j][k] for the first `count` inputs. */
export function unpackFeatures(
  outputSlots: ReadonlyArray<ArrayLike<number>>,
  count: number,
): Float64Array[] {
  checkCount(count, outputSlots[0]?.length ?? 0)
  return Array.from({ length: count }, (_, k) =>
    Float64Array.from(outputSlots, (slots) => slots[k]),
  )
}
