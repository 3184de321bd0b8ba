/**
 * The training loop: DP-SGD (Abadi et al. 2016, arXiv:1607.00133) or plain minibatch training.
 *
 * Private step t: every training example joins the batch independently with probability q
 * (Poisson subsampling, secure randomness); each example's gradient over ALL parameters is clipped
 * to L2 norm C; Gaussian noise N(0, (sigma C)^2) from node:crypto is added to the sum; the result is
 * divided by the EXPECTED batch size q n (not the realized one, which would leak the batch size).
 * Non-private: seeded shuffled minibatches of fixed size, mean gradient.
 */
import { SecureRandom } from '../random/secure-random.ts'
import { SeededRandom } from '../random/seeded-random.ts'
import type { Dataset } from '../data/dataset.ts'
import { batchGradient } from './batch-gradient.ts'
import type { Mlp } from './mlp.ts'
import { privatizeInPlace } from './privatize.ts'
import { createOptimizer, type OptimizerOptions } from './optimizer.ts'

export interface DpSettings {
  /** Noise standard deviation divided by the clipping norm (sigma). */
  noiseMultiplier: number
  /** Per-example L2 clipping norm C (gradient units). */
  clippingNorm: number
  /**
   * Public training-set size n0 used for the sampling rate q = batchSize / n0 and the normalizer
   * q n0 (default: the actual size). Under add/remove adjacency the actual size is private; a fixed
   * published constant keeps both independent of the data.
   */
  nominalSize?: number
}

/**
 * Sees every released step: the model before the update and the privatized gradient (noisy sum
 * divided by `normalizer`). What a white-box auditor observes (training/audit/canary-audit.ts).
 */
export type StepObserver = (model: Mlp, gradient: Float64Array, normalizer: number) => void

export interface TrainSettings {
  epochs: number
  /** Expected batch size (private: q = expectedBatchSize / n) or batch size (non-private). */
  batchSize: number
  optimizer: OptimizerOptions
  /** Learning-rate schedule over the steps; 'cosine' decays to 10% of the rate. */
  schedule?: 'constant' | 'cosine'
  /** undefined = non-private training. */
  dp?: DpSettings
  /** Seed for the non-private shuffles. */
  seed: number
  /** Called once per step before the optimizer moves the parameters (audits). */
  observe?: StepObserver
  /**
   * Exponential moving average of the parameters (decay per step, e.g. 0.99); the model ends with the
   * averaged parameters. Post-processing of the private iterates: no privacy cost (De et al. 2022,
   * arXiv:2204.13650). undefined = keep the last iterate.
   */
  emaDecay?: number
}

export interface StepReport {
  step: number
  steps: number
  /** Fractional epoch (step / steps per epoch). */
  epoch: number
  /** Mean loss and accuracy of the examples of this step's batch, before the update. */
  batchLoss: number
  batchAccuracy: number
  batchSize: number
}

export interface TrainResult {
  steps: number
  sampleRate: number
  /** Realized batch sizes (private: random, mean q n). */
  meanBatchSize: number
  /** Fraction of per-example gradients that were clipped (private only). */
  clippedFraction: number
}

let allRows: Int32Array = new Int32Array(0)
/** 0..count-1 (full batch: sampling at q = 1 selects every row). */
function everyRow(count: number): Int32Array {
  if (allRows.length !== count) allRows = Int32Array.from({ length: count }, (_, i) => i)
  return allRows
}

/** Number of steps for `epochs` passes at sample rate q: round(epochs / q). */
export function stepsFor(epochs: number, trainSize: number, batchSize: number): number {
  return Math.max(1, Math.round((epochs * trainSize) / batchSize))
}

export function trainMlp(
  model: Mlp,
  train: Dataset,
  settings: TrainSettings,
  onStep?: (report: StepReport) => void,
): TrainResult {
  const n = train.count
  const nominal = settings.dp?.nominalSize ?? n
  const sampleRate = Math.min(1, settings.batchSize / nominal)
  const steps = stepsFor(settings.epochs, nominal, settings.batchSize)
  const stepsPerEpoch = steps / settings.epochs
  const optimizer = createOptimizer(settings.optimizer, model.params.length)
  const secure = new SecureRandom()
  const seeded = new SeededRandom(settings.seed)
  let order = seeded.permutation(n)
  let cursor = 0
  let batchTotal = 0
  let clipped = 0
  let examples = 0
  const average = settings.emaDecay === undefined ? undefined : Float64Array.from(model.params)
  for (let step = 0; step < steps; step++) {
    let indices: ArrayLike<number>
    if (settings.dp) {
      indices = sampleRate === 1 ? everyRow(n) : secure.poissonSample(n, sampleRate)
    } else {
      if (cursor + settings.batchSize > n) {
        order = seeded.permutation(n)
        cursor = 0
      }
      indices = order.subarray(cursor, cursor + settings.batchSize)
      cursor += settings.batchSize
    }
    const batch = batchGradient(model, train.inputs, train.labels, indices, {
      clippingNorm: settings.dp?.clippingNorm,
    })
    const gradient = batch.gradientSum
    if (settings.dp) {
      const { noiseMultiplier, clippingNorm } = settings.dp
      privatizeInPlace(gradient, noiseMultiplier, clippingNorm, sampleRate * nominal, secure)
      for (const norm of batch.norms) if (norm > clippingNorm) clipped++
      settings.observe?.(model, gradient, sampleRate * nominal)
    } else {
      for (let i = 0; i < gradient.length; i++) gradient[i] /= Math.max(1, batch.count)
      settings.observe?.(model, gradient, Math.max(1, batch.count))
    }
    examples += batch.count
    batchTotal += batch.count
    const base = settings.optimizer.learningRate
    const learningRate =
      settings.schedule === 'cosine'
        ? base * (0.1 + 0.9 * 0.5 * (1 + Math.cos((Math.PI * step) / steps)))
        : base
    optimizer.step(model.params, gradient, learningRate)
    if (average && settings.emaDecay !== undefined) {
      // Bias-corrected warm-up: early steps use a shorter average (decay min(d, (1+t)/(10+t))).
      const decay = Math.min(settings.emaDecay, (1 + step) / (10 + step))
      for (let i = 0; i < average.length; i++)
        average[i] = decay * average[i] + (1 - decay) * model.params[i]
    }
    onStep?.({
      step: step + 1,
      steps,
      epoch: (step + 1) / stepsPerEpoch,
      batchLoss: batch.count > 0 ? batch.lossSum / batch.count : NaN,
      batchAccuracy: batch.count > 0 ? batch.correct / batch.count : NaN,
      batchSize: batch.count,
    })
  }
  if (average) model.params.set(average)
  return {
    steps,
    sampleRate,
    meanBatchSize: batchTotal / steps,
    clippedFraction: settings.dp && examples > 0 ? clipped / examples : 0,
  }
}
