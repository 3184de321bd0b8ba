import { describe, expect, it } from 'vitest'
import { subsetOf } from '../../training/data/dataset.ts'
import { loadMnist } from '../../training/data/mnist.ts'
import { preprocessDataset } from '../../training/data/preprocess.ts'
import { evaluateMlp } from '../../training/dp-sgd/evaluate.ts'
import { createMlp } from '../../training/dp-sgd/mlp.ts'
import { trainMlp } from '../../training/dp-sgd/train-mlp.ts'

describe('trainMlp', () => {
  const mnist = loadMnist()
  // 1,500 digits spread over all classes (every 6th row of the digit-ordered package), pooled to 7x7.
  const rows = Array.from({ length: 1500 }, (_, i) => i * 6)
  const data = preprocessDataset(subsetOf(mnist, rows), {
    kind: 'avgpool',
    height: 28,
    width: 28,
    pool: 4,
  })

  it('decreases the loss with DP-SGD (Poisson sampling, clipping, noise)', () => {
    const model = createMlp(
      { sizes: [49, 16, 10], activation: 'poly', inputMean: 0.13, inputStd: 0.31 },
      { seed: 1 },
    )
    const before = evaluateMlp(model, data)
    const result = trainMlp(model, data, {
      epochs: 4,
      batchSize: 150,
      optimizer: { kind: 'adam', learningRate: 0.01 },
      seed: 1,
      dp: { noiseMultiplier: 0.8, clippingNorm: 1 },
    })
    const after = evaluateMlp(model, data)
    expect(result.steps).toBe(40)
    expect(after.meanLoss).toBeLessThan(0.6 * before.meanLoss)
    expect(after.accuracy).toBeGreaterThan(0.6)
  })

  it('decreases the loss without privacy (SGD with momentum)', () => {
    const model = createMlp(
      { sizes: [49, 16, 10], activation: 'square', inputMean: 0.13, inputStd: 0.31 },
      { seed: 2, weightGain: 0.5 },
    )
    const before = evaluateMlp(model, data)
    trainMlp(model, data, {
      epochs: 3,
      batchSize: 50,
      optimizer: { kind: 'sgd', learningRate: 0.01, momentum: 0.9 },
      seed: 2,
    })
    const after = evaluateMlp(model, data)
    expect(after.meanLoss).toBeLessThan(0.5 * before.meanLoss)
  })
})
