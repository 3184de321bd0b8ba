/**
 * Shared check for the front-end tests: a LayerModel imported from ONNX bytes reproduces
 * onnxruntime-node on the same bytes within the float32 rounding bound (test/support/float32-tolerance.ts).
 */
import { expect } from 'vitest'
import { evaluateLayerModel } from '../../../../service/compiler/evaluate-layer-model.ts'
import type { LayerModel } from '../../../../service/compiler/ir.ts'
import { createPlainModel } from '../../../../service/plain/onnx-runtime.ts'
import { float32Tolerance, roundInputsToFloat32 } from '../../../support/float32-tolerance.ts'
import { randomInputs } from '../../../support/onnx-fixtures.ts'

/** Runs `count` seeded random inputs through both; returns the largest |difference| / tolerance. */
export async function expectAgreesWithOnnxruntime(
  bytes: Uint8Array,
  model: LayerModel,
  count = 16,
  seed = 11,
): Promise<number> {
  const plain = await createPlainModel(bytes)
  try {
    expect(plain.inputSize).toBe(model.inputSize)
    const inputs = roundInputsToFloat32(randomInputs(count, model.inputSize, seed))
    const expected = await plain.run(inputs)
    let worstRatio = 0
    inputs.forEach((input, n) => {
      const got = evaluateLayerModel(model, input)
      const tolerance = float32Tolerance(model, input)
      expect(got.length).toBe(expected[n].length)
      got.forEach((value, i) => {
        const difference = Math.abs(value - expected[n][i])
        worstRatio = Math.max(worstRatio, difference / tolerance[i])
        if (difference > tolerance[i]) {
          expect.fail(
            `input ${n} output ${i}: layer model ${value}, onnxruntime ${expected[n][i]}, tolerance ${tolerance[i]}`,
          )
        }
      })
    })
    return worstRatio
  } finally {
    await plain.close()
  }
}
