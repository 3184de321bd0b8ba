/**
 * Loss-threshold membership inference (Yeom et al. 2018, arXiv:1709.01604): an example is called
 * a member when the model's loss on it is low. Members are training examples, non-members held-out
 * test examples, balanced (the same number of each, members drawn with a seeded PRNG).
 */
import type { Dataset } from '../data/dataset.ts'
import { subsetOf } from '../data/dataset.ts'
import { evaluateMlp } from '../dp-sgd/evaluate.ts'
import type { Mlp } from '../dp-sgd/mlp.ts'
import { SeededRandom } from '../random/seeded-random.ts'
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

/** Balanced member sample: `count` rows of `train` (seeded). */
export function sampleMembers(train: Dataset, count: number, seed: number): Dataset {
  const order = new SeededRandom(seed).permutation(train.count)
  return subsetOf(train, order.subarray(0, Math.min(count, train.count)).sort())
}

export function lossThresholdAttack(model: Mlp, train: Dataset, test: Dataset, seed: number): AttackResult {
  const members = sampleMembers(train, test.count, seed)
  const memberLoss = evaluateMlp(model, members).losses
  const nonMemberLoss = evaluateMlp(model, test).losses
  return summarize('loss-threshold', memberLoss.map((l) => -l), nonMemberLoss.map((l) => -l))
}

export function summarize(attack: string, memberScores: Float64Array, nonMemberScores: Float64Array): AttackResult {
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
