/**
 * The canary audit can fail: a trainer that skips the noise, or skips the clipping, is flagged (its
 * empirical epsilon lower bound exceeds the epsilon it claims), while the DP-SGD trainer's bound
 * stays below its stated epsilon. Small synthetic data (1,000 examples in 1,024 dimensions, a linear
 * model, 30 full-batch steps, 1,000 canaries) so the three training runs take seconds.
 */
import { describe, expect, it } from 'vitest'
import { calibrateNoiseMultiplier } from '../../../training/accountant/index.ts'
import { runCanaryAudit, type ObservedTrainer } from '../../../training/audit/canary-audit.ts'
import type { Dataset } from '../../../training/data/dataset.ts'
import { batchGradient } from '../../../training/dp-sgd/batch-gradient.ts'
import { createMlp } from '../../../training/dp-sgd/mlp.ts'
import { createOptimizer } from '../../../training/dp-sgd/optimizer.ts'
import { privatizeInPlace } from '../../../training/dp-sgd/privatize.ts'
import { trainMlp } from '../../../training/dp-sgd/train-mlp.ts'
import { SecureRandom } from '../../../training/random/secure-random.ts'
import { SeededRandom } from '../../../training/random/seeded-random.ts'

const DIMENSION = 1024
const EXAMPLES = 1000
const STEPS = 30
const CLIP = 1
const LEARNING_RATE = 0.5
const EPSILON = 3
const DELTA = 1e-5

/** Ten Gaussian classes in DIMENSION dimensions (feature norm about 3). */
function syntheticData(): Dataset {
  const random = new SeededRandom(7)
  const means = Array.from({ length: 10 }, () =>
    Float64Array.from({ length: DIMENSION }, () => random.nextNormal()),
  )
  const inputs = new Float32Array(EXAMPLES * DIMENSION)
  const labels = new Uint8Array(EXAMPLES)
  for (let i = 0; i < EXAMPLES; i++) {
    labels[i] = i % 10
    for (let k = 0; k < DIMENSION; k++)
      inputs[i * DIMENSION + k] =
        ((means[i % 10][k] + 2 * random.nextNormal()) * 3) / Math.sqrt(DIMENSION)
  }
  const labelNames = Array.from({ length: 10 }, (_, c) => String(c))
  return { name: 'synthetic', inputs, labels, count: EXAMPLES, inputSize: DIMENSION, labelNames }
}

const freshModel = () =>
  createMlp(
    { sizes: [DIMENSION, 10], activation: 'square', inputMean: 0, inputStd: 1 },
    { seed: 1 },
  )

describe('the one-run canary audit', () => {
  const data = syntheticData()
  const { noiseMultiplier } = calibrateNoiseMultiplier({
    sampleRate: 1,
    steps: STEPS,
    delta: DELTA,
    epsilon: EPSILON,
    accountant: 'rdp',
  })
  const audit = (trainer: ObservedTrainer) =>
    runCanaryAudit(data, trainer, CLIP, {
      canaries: 1000,
      canaryNorm: 30,
      epsilon: EPSILON,
      delta: DELTA,
      seed: 3,
    })

  /** DP-SGD as served: full batch, clipping, discrete Gaussian noise (training/dp-sgd). */
  const dpTrainer: ObservedTrainer = (train, observe) => {
    const model = freshModel()
    trainMlp(model, train, {
      epochs: STEPS,
      batchSize: EXAMPLES,
      optimizer: { kind: 'sgd', learningRate: LEARNING_RATE },
      seed: 1,
      observe,
      dp: { noiseMultiplier, clippingNorm: CLIP, nominalSize: EXAMPLES },
    })
    return model
  }

  /** The same loop with one deliberate bug. */
  const brokenTrainer =
    (bug: 'no noise' | 'no clipping'): ObservedTrainer =>
    (train, observe) => {
      const model = freshModel()
      const optimizer = createOptimizer(
        { kind: 'sgd', learningRate: LEARNING_RATE },
        model.params.length,
      )
      const rows = Int32Array.from({ length: train.count }, (_, i) => i)
      const secure = new SecureRandom()
      for (let step = 0; step < STEPS; step++) {
        const { gradientSum } = batchGradient(model, train.inputs, train.labels, rows, {
          clippingNorm: bug === 'no clipping' ? undefined : CLIP,
        })
        if (bug === 'no noise')
          for (let i = 0; i < gradientSum.length; i++) gradientSum[i] /= EXAMPLES
        else privatizeInPlace(gradientSum, noiseMultiplier, CLIP, EXAMPLES, secure)
        observe(model, gradientSum, EXAMPLES)
        optimizer.step(model.params, gradientSum)
      }
      return model
    }

  it('keeps the DP-SGD trainer below its stated epsilon = 3', () => {
    const result = audit(dpTrainer)
    expect(result.steps).toBe(STEPS)
    expect(result.oneRun.canaries).toBe(1000)
    expect(result.oneRun.epsilonLowerBound).toBeLessThan(EPSILON)
    expect(result.flagged).toBe(false)
    expect(result.attack.auc.interval.low).toBeLessThan(result.attack.auc.value)
    expect(result.attack.auc.interval.high).toBeGreaterThan(result.attack.auc.value)
  })

  it('flags a trainer that adds no noise', () => {
    const result = audit(brokenTrainer('no noise'))
    expect(result.oneRun.epsilonLowerBound).toBeGreaterThan(EPSILON)
    expect(result.flagged).toBe(true)
    expect(result.attack.auc.interval.low).toBeGreaterThan(0.9)
  })

  it('flags a trainer that does not clip (noise calibrated to C, canaries of norm 30)', () => {
    const result = audit(brokenTrainer('no clipping'))
    expect(result.oneRun.epsilonLowerBound).toBeGreaterThan(EPSILON)
    expect(result.flagged).toBe(true)
  })
})
