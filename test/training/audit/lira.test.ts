import { describe, expect, it } from 'vitest'
import { liraAttack } from '../../../training/audit/lira.ts'
import { scaledConfidence } from '../../../training/audit/scaled-confidence.ts'
import { evaluateMlp } from '../../../training/dp-sgd/evaluate.ts'
import { lossThresholdAttack } from '../../../training/audit/loss-threshold.ts'
import type { Dataset } from '../../../training/data/dataset.ts'
import { createMlp, type Mlp } from '../../../training/dp-sgd/mlp.ts'
import { trainMlp } from '../../../training/dp-sgd/train-mlp.ts'
import { SeededRandom } from '../../../training/random/seeded-random.ts'

/** Random inputs with random labels: a model can only fit them by memorizing. */
function noise(count: number, seed: number): Dataset {
  const random = new SeededRandom(seed)
  return {
    name: 'noise',
    inputs: Float32Array.from({ length: count * 12 }, () => random.nextUniform()),
    labels: Uint8Array.from({ length: count }, () => random.nextInt(10)),
    count,
    inputSize: 12,
    labelNames: Array.from({ length: 10 }, (_, i) => String(i)),
  }
}

function memorize(train: Dataset, seed: number): Mlp {
  const model = createMlp(
    { sizes: [12, 32, 10], activation: 'poly', inputMean: 0.5, inputStd: 0.3 },
    { seed },
  )
  trainMlp(model, train, {
    epochs: 60,
    batchSize: 20,
    optimizer: { kind: 'adam', learningRate: 0.01 },
    seed,
  })
  return model
}

describe('membership-inference attacks', () => {
  it('phi is the log-odds of the true class, log(p / (1 - p))', () => {
    const model = createMlp(
      { sizes: [12, 4, 10], activation: 'square', inputMean: 0.5, inputStd: 0.3 },
      { seed: 1 },
    )
    const data = noise(5, 2)
    const phi = scaledConfidence(model, data)
    const { losses } = evaluateMlp(model, data)
    for (let r = 0; r < data.count; r++) {
      const p = Math.exp(-losses[r])
      expect(phi[r]).toBeCloseTo(Math.log(p / (1 - p)), 9)
    }
  })

  it('detects members of a model that memorized random labels, and LiRA beats chance clearly', () => {
    const train = noise(150, 3)
    const test = noise(150, 4)
    const target = memorize(train, 5)
    const loss = lossThresholdAttack(target, train, test, 6)
    expect(loss.auc).toBeGreaterThan(0.8)
    const lira = liraAttack(
      target,
      train,
      test,
      { train: (data, k) => memorize(data, 10 + k) },
      { shadows: 4, seed: 7 },
    )
    expect(lira.members).toBe(150)
    expect(lira.nonMembers).toBe(150)
    expect(lira.auc).toBeGreaterThan(0.8)
    expect(lira.tprAt1PercentFpr).toBeGreaterThan(0.01)
  })
})
