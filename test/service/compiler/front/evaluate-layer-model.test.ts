import { describe, expect, it } from 'vitest'
import { PrivinferError } from '../../../../core/errors.ts'
import {
  evaluateLayerModel,
  evaluateLayerModelBatch,
} from '../../../../service/compiler/evaluate-layer-model.ts'
import type { LayerModel } from '../../../../service/compiler/ir.ts'

// 2 -> 2 linear, 0.5 x^2 + x - 1, 2 -> 1 linear: small enough to check by hand.
const model: LayerModel = {
  inputName: 'x',
  inputShape: [1, 2],
  inputSize: 2,
  outputName: 'y',
  outputSize: 1,
  layers: [
    {
      kind: 'linear',
      name: 'fc1',
      inFeatures: 2,
      outFeatures: 2,
      weights: Float64Array.of(1, 2, -1, 3),
      bias: Float64Array.of(0, 1),
    },
    { kind: 'poly', name: 'act', coefficients: [-1, 1, 0.5] },
    {
      kind: 'linear',
      name: 'fc2',
      inFeatures: 2,
      outFeatures: 1,
      weights: Float64Array.of(2, -1),
      bias: Float64Array.of(0.25),
    },
  ],
}

describe('evaluateLayerModel', () => {
  it('computes the chain in float64', () => {
    // fc1([1, 1]) = [3, 3]; p(3) = -1 + 3 + 4.5 = 6.5; fc2 = 2*6.5 - 6.5 + 0.25 = 6.75
    expect(Array.from(evaluateLayerModel(model, [1, 1]))).toEqual([6.75])
    // fc1([2, -1]) = [0, -4]; p(0) = -1, p(-4) = -1 - 4 + 8 = 3; fc2 = -2 - 3 + 0.25 = -4.75
    expect(Array.from(evaluateLayerModel(model, [2, -1]))).toEqual([-4.75])
  })

  it('evaluates a batch in order', () => {
    expect(
      evaluateLayerModelBatch(model, [
        [1, 1],
        [2, -1],
      ]).map((y) => y[0]),
    ).toEqual([6.75, -4.75])
  })

  it('rejects an input of the wrong length with INPUT_INVALID', () => {
    expect(() => evaluateLayerModel(model, [1, 2, 3])).toThrow(PrivinferError)
    expect(() => evaluateLayerModel(model, [1])).toThrow(/expects 2/)
  })
})
