/**
 * The canary audit of a trainer (one-run auditing, Steinke, Nasr, Jagielski 2023; one-run.ts):
 *
 * 1. m canaries in the model's input space: random sign vectors scaled to L2 norm `canaryNorm`, each
 *    with a uniformly random label. Random directions in d dimensions are nearly orthogonal to the
 *    data and to each other, so the trained model's response to a canary reads out mostly that
 *    canary's own gradient; a norm well above the data's makes a missing clip visible.
 * 2. Each canary joins the training set independently with probability 1/2 (the auditor's seeded
 *    coins, independent of the trainer's node:crypto noise).
 * 3. One training run with the trainer under audit, observed white-box (every step's parameters and
 *    released noisy gradient; full-batch trainers only). DP's adversary knows every other record,
 *    so the auditor subtracts the clipped gradient sum of the natural data at each step: the residual
 *    is the noise plus the inserted canaries' clipped gradients, and canary i scores
 *    sum_t <residual_t, clip_C(g_i(theta_t))> / C. Random directions barely interact (|<g_i, g_j>|
 *    ~ C^2 / sqrt(parameters)), so an inserted canary scores about C per step against noise of
 *    standard deviation sigma C per step: the audit sees the mechanism the accountant analysed.
 *    Black-box (final model only) canary scores are reported beside it; they are much weaker on a
 *    linear model, where the data's own weights swamp one example's direction.
 * 4. The one-run bound: guess "in" for the k best and "out" for the k worst scores for each k in
 *    `guessCounts`; the best bound at the stated confidence (Bonferroni over the k tried). A trainer
 *    whose bound exceeds its stated epsilon is not (epsilon, delta)-DP, at that confidence.
 * 5. The same scores as a membership-inference attack on the canaries: AUC and TPR at 1% / 0.1% FPR,
 *    each with a 95% interval (intervals.ts).
 */
import { PrivinferError } from '../../core/errors.ts'
import type { Dataset } from '../data/dataset.ts'
import { batchGradient } from '../dp-sgd/batch-gradient.ts'
import type { Mlp } from '../dp-sgd/mlp.ts'
import type { StepObserver } from '../dp-sgd/train-mlp.ts'
import { SeededRandom } from '../random/seeded-random.ts'
import { aucInterval, clopperPearson, type Interval } from './intervals.ts'
import { auditCanaryScores, type OneRunAudit } from './one-run.ts'
import { computeRoc } from './roc.ts'
import { scaledConfidence } from './scaled-confidence.ts'

export interface CanaryAuditOptions {
  canaries: number
  /** L2 norm of every canary input. */
  canaryNorm: number
  /** The stated guarantee the bound is compared with. */
  epsilon: number
  delta: number
  /** Default 0.95. */
  confidence?: number
  /** k values (guesses 2k each); default a few between m/20 and m/4. */
  guessCounts?: number[]
  seed: number
}

export interface RateWithInterval {
  value: number
  interval: Interval
}

export interface CanaryAuditResult {
  method: string
  canaryNorm: number
  oneRun: OneRunAudit
  /** epsilonLowerBound > stated epsilon: the trainer is not (epsilon, delta)-DP (at the confidence). */
  flagged: boolean
  statedEpsilon: number
  /** Training steps observed. */
  steps: number
  /** The white-box scores as a membership attack on the canaries. */
  attack: AttackFigures
  /** The final model's log-odds of each canary's label (black-box) as a membership attack. */
  blackBoxAttack: AttackFigures
}

export interface AttackFigures {
  members: number
  nonMembers: number
  auc: RateWithInterval
  tprAt1PercentFpr: RateWithInterval
  tprAt01PercentFpr: RateWithInterval
  note: string
}

export interface Canaries {
  inputs: Float32Array
  labels: Uint8Array
  inserted: Uint8Array
}

/** m random-sign canaries of norm `norm` in `inputSize` dimensions, random labels, coin flips. */
export function makeCanaries(
  inputSize: number,
  count: number,
  norm: number,
  classes: number,
  seed: number,
): Canaries {
  const random = new SeededRandom(seed)
  const inputs = new Float32Array(count * inputSize)
  const labels = new Uint8Array(count)
  const inserted = new Uint8Array(count)
  const entry = norm / Math.sqrt(inputSize)
  for (let i = 0; i < count; i++) {
    for (let k = 0; k < inputSize; k++)
      inputs[i * inputSize + k] = random.nextUint32() & 1 ? entry : -entry
    labels[i] = random.nextInt(classes)
    inserted[i] = random.nextUint32() & 1
  }
  return { inputs, labels, inserted }
}

/** `train` plus the inserted canaries (appended). */
export function withInsertedCanaries(train: Dataset, canaries: Canaries): Dataset {
  const { inputSize } = train
  const chosen: number[] = []
  canaries.inserted.forEach((flag, i) => flag && chosen.push(i))
  const inputs = new Float32Array((train.count + chosen.length) * inputSize)
  const labels = new Uint8Array(train.count + chosen.length)
  inputs.set(train.inputs.subarray(0, train.count * inputSize))
  labels.set(train.labels.subarray(0, train.count))
  chosen.forEach((i, j) => {
    inputs.set(
      canaries.inputs.subarray(i * inputSize, (i + 1) * inputSize),
      (train.count + j) * inputSize,
    )
    labels[train.count + j] = canaries.labels[i]
  })
  return { ...train, inputs, labels, count: train.count + chosen.length }
}

/** A trainer under audit: trains on `data` and calls `observe` once per step. */
export type ObservedTrainer = (data: Dataset, observe: StepObserver) => Mlp

/**
 * Trains once with `train` plus the inserted canaries and audits the run.
 * @param clippingNorm C of the trainer under audit (the auditor clips the natural data's gradients
 *   with it, as DP-SGD should)
 * @throws PrivinferError BAD_REQUEST for a model with hidden layers (white-box scoring is written for
 *   the linear models privinfer serves).
 */
export function runCanaryAudit(
  train: Dataset,
  trainer: ObservedTrainer,
  clippingNorm: number,
  options: CanaryAuditOptions,
): CanaryAuditResult {
  const classes = train.labelNames.length
  const canaries = makeCanaries(
    train.inputSize,
    options.canaries,
    options.canaryNorm,
    classes,
    options.seed,
  )
  const scores = new Float64Array(options.canaries)
  const everyRow = Int32Array.from({ length: train.count }, (_, i) => i)
  let residual = new Float64Array(0)
  let steps = 0
  const model = trainer(withInsertedCanaries(train, canaries), (observed, gradient, normalizer) => {
    if (observed.linear.length !== 1) {
      throw new PrivinferError(
        'BAD_REQUEST',
        'the white-box canary audit scores linear models only',
        {
          layers: observed.linear.length,
        },
      )
    }
    steps++
    const data = batchGradient(observed, train.inputs, train.labels, everyRow, { clippingNorm })
    if (residual.length !== gradient.length) residual = new Float64Array(gradient.length)
    for (let i = 0; i < gradient.length; i++)
      residual[i] = gradient[i] * normalizer - data.gradientSum[i]
    addLinearCanaryScores(observed, residual, canaries, clippingNorm, scores)
  })
  const canarySet: Dataset = {
    ...train,
    inputs: canaries.inputs,
    labels: canaries.labels,
    count: options.canaries,
  }
  return {
    ...auditScores(scores, canaries.inserted, options),
    steps,
    blackBoxAttack: attackFigures(scaledConfidence(model, canarySet), canaries.inserted, options),
  }
}

/**
 * scores[i] += <residual, clip_C(g_i)> / C for every canary, g_i = (softmax(W x_i + b) - e_{y_i})
 * outer [x_i; 1] the gradient of a linear softmax model (the model's input normalization applied).
 */
function addLinearCanaryScores(
  model: Mlp,
  residual: Float64Array,
  canaries: Canaries,
  clippingNorm: number,
  scores: Float64Array,
): void {
  const [{ inputs: d, outputs: classes, weightOffset, biasOffset }] = model.linear
  const { inputMean, inputStd } = model.shape
  const p = model.params
  const x = new Float64Array(d)
  const logits = new Float64Array(classes)
  const projected = new Float64Array(classes)
  for (let i = 0; i < scores.length; i++) {
    let xNorm = 1
    for (let k = 0; k < d; k++) {
      x[k] = (canaries.inputs[i * d + k] - inputMean) / inputStd
      xNorm += x[k] * x[k]
    }
    let max = -Infinity
    for (let c = 0; c < classes; c++) {
      let z = p[biasOffset + c]
      let r = residual[biasOffset + c]
      for (let k = 0; k < d; k++) {
        z += p[weightOffset + c * d + k] * x[k]
        r += residual[weightOffset + c * d + k] * x[k]
      }
      logits[c] = z
      projected[c] = r
      max = Math.max(max, z)
    }
    let total = 0
    for (let c = 0; c < classes; c++) {
      logits[c] = Math.exp(logits[c] - max)
      total += logits[c]
    }
    let dot = 0
    let deltaNorm = 0
    for (let c = 0; c < classes; c++) {
      const delta = logits[c] / total - (c === canaries.labels[i] ? 1 : 0)
      dot += delta * projected[c]
      deltaNorm += delta * delta
    }
    const norm = Math.sqrt(deltaNorm * xNorm)
    const clip = norm > clippingNorm ? clippingNorm / norm : 1
    scores[i] += (clip * dot) / clippingNorm
  }
}

/** The one-run bound and the attack figures for given canary scores (split out for tests). */
export function auditScores(
  scores: Float64Array,
  inserted: Uint8Array,
  options: CanaryAuditOptions,
): Omit<CanaryAuditResult, 'steps' | 'blackBoxAttack'> {
  const m = scores.length
  const guessCounts = options.guessCounts ?? [
    Math.round(m / 20),
    Math.round(m / 10),
    Math.round(m / 6),
    Math.round(m / 4),
  ]
  const oneRun = auditCanaryScores(scores, inserted, {
    delta: options.delta,
    confidence: options.confidence,
    guessCounts,
  })
  return {
    method:
      "one-run audit (Steinke, Nasr, Jagielski 2023), white-box: random-sign canaries with random labels, each inserted with probability 1/2, one full-batch training run; canary score = sum over steps of <released gradient sum - clipped natural-data gradient sum, the canary's clipped gradient> / C",
    canaryNorm: options.canaryNorm,
    oneRun,
    flagged: oneRun.epsilonLowerBound > options.epsilon,
    statedEpsilon: options.epsilon,
    attack: attackFigures(scores, inserted, options),
  }
}

/** AUC and TPR at 1% and 0.1% FPR of membership scores, with intervals. */
export function attackFigures(
  scores: ArrayLike<number>,
  inserted: ArrayLike<number>,
  options: { confidence?: number },
): AttackFigures {
  const memberScores: number[] = []
  const nonMemberScores: number[] = []
  for (let i = 0; i < scores.length; i++)
    (inserted[i] ? memberScores : nonMemberScores).push(scores[i])
  const roc = computeRoc(memberScores, nonMemberScores)
  const sortedNon = [...nonMemberScores].sort((a, b) => b - a)
  const confidence = options.confidence ?? 0.95
  const tprAt = (fpr: number): RateWithInterval => {
    // Threshold: strictly above the floor(fpr * negatives)-th highest non-member score.
    const allowed = Math.floor(fpr * sortedNon.length)
    const threshold = allowed < sortedNon.length ? sortedNon[allowed] : -Infinity
    const hits = memberScores.filter((score) => score > threshold).length
    return {
      value: hits / memberScores.length,
      interval: clopperPearson(hits, memberScores.length, confidence),
    }
  }
  return {
    members: memberScores.length,
    nonMembers: nonMemberScores.length,
    auc: {
      value: roc.auc,
      interval: aucInterval(roc.auc, memberScores.length, nonMemberScores.length, confidence),
    },
    tprAt1PercentFpr: tprAt(0.01),
    tprAt01PercentFpr: tprAt(0.001),
    note: 'AUC interval: Hanley-McNeil; TPR intervals: Clopper-Pearson on the members, threshold taken from the non-member scores (its own uncertainty not included).',
  }
}
