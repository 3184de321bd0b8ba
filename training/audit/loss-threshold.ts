/**
 * Loss-threshold membership inference (Yeom et al. 2018, arXiv:1709.01604): an example is called
 * a member when the model's loss on it is low. Members are training examples, non-members held-out
 * test examples, balanced (the same number of each, members drawn with a seeded PRNG).
 *
 * The score is the log-odds of the true class, phi = log(p_y / (1 - p_y)), a strictly decreasing
 * function of the loss -log p_y (so the same attack), which does not saturate in float64 when
 * p_y -> 1 (the loss rounds to 0 for confident examples, creating ties that hide the low-FPR regime).
 */
import type { Dataset } from '../data/dataset.ts'
import { subsetOf } from '../data/dataset.ts'
import type { Mlp } from '../dp-sgd/mlp.ts'
import { SeededRandom } from '../random/seeded-random.ts'
import { scaledConfidence, scaledConfidenceFromLogits } from './scaled-confidence.ts'
import { computeRoc, thinCurve, tprAtFpr } from './roc.ts'

export interface AttackResult {
  attack: string
  members: number
  nonMembers: number
  auc: number
  tprAt1PercentFpr: number
  tprAt01PercentFpr: number
  /** Thinned ROC curve for plots. */
  roc: { fpr: number[]; tpr: number[] }
}

export const LOSS_THRESHOLD = 'loss-threshold (log-odds of the true class)'

/** Balanced member sample: `count` rows of `train` (seeded). */
export function sampleMembers(train: Dataset, count: number, seed: number): Dataset {
  const order = new SeededRandom(seed).permutation(train.count)
  return subsetOf(train, order.subarray(0, Math.min(count, train.count)).sort())
}

export function lossThresholdAttack(
  model: Mlp,
  train: Dataset,
  test: Dataset,
  seed: number,
): AttackResult {
  const members = sampleMembers(train, test.count, seed)
  return summarize(LOSS_THRESHOLD, scaledConfidence(model, members), scaledConfidence(model, test))
}

/** The same attack from logits computed elsewhere (e.g. onnxruntime on a saved model.onnx). */
export function lossThresholdFromLogits(
  memberLogits: ArrayLike<number>,
  memberLabels: ArrayLike<number>,
  nonMemberLogits: ArrayLike<number>,
  nonMemberLabels: ArrayLike<number>,
  classes: number,
): AttackResult {
  return summarize(
    LOSS_THRESHOLD,
    scaledConfidenceFromLogits(memberLogits, memberLabels, classes),
    scaledConfidenceFromLogits(nonMemberLogits, nonMemberLabels, classes),
  )
}

export function summarize(
  attack: string,
  memberScores: Float64Array,
  nonMemberScores: Float64Array,
): AttackResult {
  const curve = computeRoc(memberScores, nonMemberScores)
  return {
    attack,
    members: memberScores.length,
    nonMembers: nonMemberScores.length,
    auc: curve.auc,
    tprAt1PercentFpr: tprAtFpr(curve, 0.01),
    tprAt01PercentFpr: tprAtFpr(curve, 0.001),
    roc: thinCurve(curve, 200),
  }
}
