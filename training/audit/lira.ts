/**
 * Likelihood-ratio membership inference with shadow models (LiRA, Carlini et al. 2022,
 * arXiv:2112.03570), "online" with a global variance (their recommendation for few shadows).
 *
 * Targets: `members` (training rows of the audited model) and `nonMembers` (held-out rows).
 * Each shadow model is trained, with the audited model's own recipe, on a random half of
 * (train ∪ test): every row is IN with probability 1/2 (seeded). For each target x and shadow k the
 * statistic is the logit-scaled confidence phi = z_y - logsumexp_{c != y} z_c. The score of x on the
 * audited model is log N(phi; mu_in(x), s_in^2) - log N(phi; mu_out(x), s_out^2), with mu per example
 * and the standard deviations pooled over all examples.
 *
 * For DP targets the shadows use the same sampling rate q, steps and sigma as the audited model.
 */
import { subsetOf, type Dataset } from '../data/dataset.ts'
import type { Mlp } from '../dp-sgd/mlp.ts'
import { scaledConfidence } from './scaled-confidence.ts'
import { SeededRandom } from '../random/seeded-random.ts'
import { summarize, type AttackResult } from './loss-threshold.ts'

export interface ShadowRecipe {
  /** Trains one model on `train` with the audited model's recipe (fresh DP noise if private). */
  train(train: Dataset, shadowIndex: number): Mlp
}

export interface LiraOptions {
  shadows: number
  seed: number
  onShadow?: (done: number, total: number) => void
}

export function liraAttack(
  target: Mlp,
  train: Dataset,
  test: Dataset,
  recipe: ShadowRecipe,
  options: LiraOptions,
): AttackResult {
  const random = new SeededRandom(options.seed)
  const memberRows = random
    .permutation(train.count)
    .subarray(0, Math.min(test.count, train.count))
    .sort()
  // Pool rows: 0..train.count-1 are train rows, then test rows. Targets: chosen members + all of test.
  const poolSize = train.count + test.count
  const targetPoolRows = Int32Array.from([
    ...memberRows,
    ...Array.from({ length: test.count }, (_, i) => train.count + i),
  ])
  const targets = concatRows(train, test, targetPoolRows)
  const targetCount = targetPoolRows.length
  const phi: Float64Array[] = []
  const included: Uint8Array[] = []
  for (let k = 0; k < options.shadows; k++) {
    const inMask = new Uint8Array(poolSize)
    for (let i = 0; i < poolSize; i++) inMask[i] = random.nextUniform() < 0.5 ? 1 : 0
    const rows = Int32Array.from(
      Array.from({ length: poolSize }, (_, i) => i).filter((i) => inMask[i] === 1),
    )
    const shadow = recipe.train(concatRows(train, test, rows), k)
    phi.push(scaledConfidence(shadow, targets))
    included.push(Uint8Array.from(targetPoolRows, (row) => inMask[row]))
    options.onShadow?.(k + 1, options.shadows)
  }
  const targetPhi = scaledConfidence(target, targets)
  // Per-example means, pooled variances.
  const muIn = new Float64Array(targetCount)
  const muOut = new Float64Array(targetCount)
  let inSquares = 0
  let inCount = 0
  let outSquares = 0
  let outCount = 0
  const globalIn = meanWhere(phi, included, 1)
  const globalOut = meanWhere(phi, included, 0)
  for (let t = 0; t < targetCount; t++) {
    let sumIn = 0
    let nIn = 0
    let sumOut = 0
    let nOut = 0
    for (let k = 0; k < phi.length; k++) {
      if (included[k][t]) {
        sumIn += phi[k][t]
        nIn++
      } else {
        sumOut += phi[k][t]
        nOut++
      }
    }
    muIn[t] = nIn > 0 ? sumIn / nIn : globalIn
    muOut[t] = nOut > 0 ? sumOut / nOut : globalOut
    for (let k = 0; k < phi.length; k++) {
      if (included[k][t] && nIn > 1) {
        inSquares += (phi[k][t] - muIn[t]) ** 2
        inCount++
      } else if (!included[k][t] && nOut > 1) {
        outSquares += (phi[k][t] - muOut[t]) ** 2
        outCount++
      }
    }
  }
  const sdIn = Math.sqrt(inSquares / Math.max(1, inCount)) + 1e-6
  const sdOut = Math.sqrt(outSquares / Math.max(1, outCount)) + 1e-6
  const scores = new Float64Array(targetCount)
  for (let t = 0; t < targetCount; t++) {
    scores[t] = logNormal(targetPhi[t], muIn[t], sdIn) - logNormal(targetPhi[t], muOut[t], sdOut)
  }
  const members = memberRows.length
  return summarize(
    `LiRA (${options.shadows} shadow models, global variance)`,
    scores.slice(0, members),
    scores.slice(members),
  )
}

function concatRows(train: Dataset, test: Dataset, poolRows: ArrayLike<number>): Dataset {
  const trainRows: number[] = []
  const testRows: number[] = []
  for (let i = 0; i < poolRows.length; i++) {
    if (poolRows[i] < train.count) trainRows.push(poolRows[i])
    else testRows.push(poolRows[i] - train.count)
  }
  // Keep the order of poolRows: all train rows come first in every caller (sorted pool indices).
  const first = subsetOf(train, trainRows)
  const second = subsetOf(test, testRows)
  const inputs = new Float32Array(first.inputs.length + second.inputs.length)
  inputs.set(first.inputs)
  inputs.set(second.inputs, first.inputs.length)
  const labels = new Uint8Array(first.count + second.count)
  labels.set(first.labels)
  labels.set(second.labels, first.count)
  return { ...train, inputs, labels, count: first.count + second.count }
}

function meanWhere(phi: Float64Array[], included: Uint8Array[], flag: number): number {
  let sum = 0
  let count = 0
  for (let k = 0; k < phi.length; k++) {
    for (let t = 0; t < phi[k].length; t++) {
      if (included[k][t] === flag) {
        sum += phi[k][t]
        count++
      }
    }
  }
  return count > 0 ? sum / count : 0
}

function logNormal(x: number, mean: number, sd: number): number {
  return -0.5 * ((x - mean) / sd) ** 2 - Math.log(sd)
}
