import { describe, expect, it } from 'vitest'
import { batchGradient } from '../../../training/dp-sgd/batch-gradient.ts'
import { evaluateMlp } from '../../../training/dp-sgd/evaluate.ts'
import { createMlp, type ActivationKind, type Mlp } from '../../../training/dp-sgd/mlp.ts'
import { SeededRandom } from '../../../training/random/seeded-random.ts'
import type { Dataset } from '../../../training/data/dataset.ts'

function tinyData(count: number, inputSize: number, seed: number): Dataset {
  const random = new SeededRandom(seed)
  const inputs = Float32Array.from({ length: count * inputSize }, () => random.nextUniform())
  const labels = Uint8Array.from({ length: count }, () => random.nextInt(3))
  return { name: 'tiny', inputs, labels, count, inputSize, labelNames: ['a', 'b', 'c'] }
}

function tinyModel(activation: ActivationKind): Mlp {
  const model = createMlp(
    { sizes: [5, 4, 4, 3], activation, inputMean: 0.3, inputStd: 0.7 },
    { seed: 3, polyA: 0.3 },
  )
  // Non-trivial activation coefficients so d/da and d/db are exercised.
  model.activationOffsets.forEach((offset, i) => {
    model.params[offset] = 0.3 + 0.1 * i
    model.params[offset + 1] = 0.8 - 0.2 * i
  })
  return model
}

function lossOf(model: Mlp, data: Dataset, row: number): number {
  const single: Dataset = {
    ...data,
    inputs: data.inputs.subarray(row * data.inputSize, (row + 1) * data.inputSize),
    labels: data.labels.subarray(row, row + 1),
    count: 1,
  }
  return evaluateMlp(model, single).losses[0]
}

const norm = (values: Float64Array) => Math.sqrt(values.reduce((sum, v) => sum + v * v, 0))

describe.each<ActivationKind>(['poly', 'square'])(
  'batchGradient (%s activation, 2 hidden layers)',
  (activation) => {
    const data = tinyData(6, 5, 11)

    it('matches central finite differences of the loss for every parameter of every example', () => {
      const model = tinyModel(activation)
      const h = 1e-5
      for (let row = 0; row < data.count; row++) {
        const { gradientSum } = batchGradient(model, data.inputs, data.labels, [row])
        for (let p = 0; p < model.params.length; p++) {
          const saved = model.params[p]
          model.params[p] = saved + h
          const up = lossOf(model, data, row)
          model.params[p] = saved - h
          const down = lossOf(model, data, row)
          model.params[p] = saved
          const numeric = (up - down) / (2 * h)
          // Central differences have O(h^2) truncation and ~1e-16/h rounding error: 1e-6 abs + 1e-5 rel.
          expect(Math.abs(gradientSum[p] - numeric)).toBeLessThan(1e-6 + 1e-5 * Math.abs(numeric))
        }
      }
    })

    it('reports each example its exact full-parameter norm and clips it to at most C', () => {
      const model = tinyModel(activation)
      const clippingNorm = 0.05
      const batch = batchGradient(
        model,
        data.inputs,
        data.labels,
        Array.from({ length: data.count }, (_, i) => i),
        { clippingNorm },
      )
      let sumOfClipped = new Float64Array(model.params.length)
      for (let row = 0; row < data.count; row++) {
        const unclipped = batchGradient(model, data.inputs, data.labels, [row]).gradientSum
        expect(batch.norms[row]).toBeCloseTo(norm(unclipped), 10)
        const clipped = batchGradient(model, data.inputs, data.labels, [row], {
          clippingNorm,
        }).gradientSum
        expect(norm(clipped)).toBeLessThanOrEqual(clippingNorm * (1 + 1e-12))
        expect(norm(clipped)).toBeCloseTo(Math.min(clippingNorm, norm(unclipped)), 12)
        sumOfClipped = sumOfClipped.map((v, i) => v + clipped[i])
      }
      // At least one example must actually have been clipped for this test to mean something.
      expect(Math.max(...batch.norms)).toBeGreaterThan(clippingNorm)
      for (let p = 0; p < model.params.length; p++)
        expect(batch.gradientSum[p]).toBeCloseTo(sumOfClipped[p], 12)
    })

    it('gives the same sum whatever the chunk size', () => {
      const model = tinyModel(activation)
      const all = Array.from({ length: data.count }, (_, i) => i)
      const whole = batchGradient(model, data.inputs, data.labels, all, { clippingNorm: 0.1 })
      const chunked = batchGradient(model, data.inputs, data.labels, all, {
        clippingNorm: 0.1,
        chunkSize: 4,
      })
      for (let p = 0; p < model.params.length; p++)
        expect(chunked.gradientSum[p]).toBeCloseTo(whole.gradientSum[p], 12)
    })
  },
)
