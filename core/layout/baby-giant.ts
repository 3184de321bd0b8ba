/**
 * Baby-step giant-step split of a diagonal product (Halevi–Shoup 2018, eprint 2018/244):
 * r = g·i + k, Y = Σ_i rot(G_i, g·i) with G_i = Σ_k rot(p_{g i + k}, -g·i) ⊙ rot(c, k).
 * The plaintexts are pre-rotated here, at compile time; the giant sum runs in Horner form
 * (acc = rot(acc, g) + G_i) so one Galois key (g) serves every giant step, and the baby rotations
 * rot(c, k) are made by repeated rotate-by-1 so one key (1) serves them all.
 */
import { rotate } from './rotate.ts'

export interface BabyGiantGroup {
  /** Giant index i (the group is rotated by g·i in total). */
  index: number
  /** Terms: baby step k and the pre-rotated diagonal rot(p_{g i + k}, -g i). */
  terms: Array<{ baby: number; diagonal: Float64Array }>
}

export interface BabyGiantSplit {
  giantStep: number
  /** Largest baby step used (baby rotations = maxBaby, all by 1). */
  maxBaby: number
  /** Groups by ascending index (indices with no diagonal are absent). */
  groups: BabyGiantGroup[]
  /** Giant rotations in Horner form: the largest group index. */
  giantRotations: number
}

/** Splits the diagonals with giant step g. */
export function splitBabyGiant(
  diagonals: Map<number, Float64Array>,
  giantStep: number,
): BabyGiantSplit {
  const byIndex = new Map<number, BabyGiantGroup>()
  let maxBaby = 0
  for (const r of [...diagonals.keys()].sort((a, b) => a - b)) {
    const index = Math.floor(r / giantStep)
    const baby = r - index * giantStep
    maxBaby = Math.max(maxBaby, baby)
    let group = byIndex.get(index)
    if (group === undefined) {
      group = { index, terms: [] }
      byIndex.set(index, group)
    }
    group.terms.push({ baby, diagonal: rotate(diagonals.get(r)!, -giantStep * index) })
  }
  const groups = [...byIndex.values()].sort((a, b) => a.index - b.index)
  const giantRotations = groups.length === 0 ? 0 : groups[groups.length - 1].index
  return { giantStep, maxBaby, groups, giantRotations }
}

/** Rotations of a split: baby (repeated rotate-by-1) plus giant (Horner). */
export function rotationsOfSplit(split: BabyGiantSplit): number {
  return split.maxBaby + split.giantRotations
}

/**
 * The giant step that minimizes baby + giant rotations for these diagonals; ties go to the larger
 * step (fewer groups: fewer rescales when groups are rescaled, fewer additions).
 */
export function bestGiantStep(diagonals: Map<number, Float64Array>): number {
  const steps = [...diagonals.keys()]
  const maxStep = steps.length === 0 ? 0 : Math.max(...steps)
  let best = 1
  let bestCost = Infinity
  for (let g = 1; g <= maxStep + 1; g++) {
    let maxBaby = 0
    let maxIndex = 0
    for (const r of steps) {
      maxBaby = Math.max(maxBaby, r % g)
      maxIndex = Math.max(maxIndex, Math.floor(r / g))
    }
    const cost = maxBaby + maxIndex
    if (cost <= bestCost) {
      best = g
      bestCost = cost
    }
  }
  return best
}

/** Evaluates a split on plain slots with the Horner giant sum (reference for tests). */
export function applyBabyGiant(split: BabyGiantSplit, slots: Float64Array): Float64Array {
  const n = slots.length
  const babies: Float64Array[] = [slots]
  for (let k = 1; k <= split.maxBaby; k++) babies.push(rotate(babies[k - 1], 1))
  const groupSum = (group: BabyGiantGroup | undefined) => {
    const sum = new Float64Array(n)
    for (const term of group?.terms ?? []) {
      for (let s = 0; s < n; s++) sum[s] += term.diagonal[s] * babies[term.baby][s]
    }
    return sum
  }
  const byIndex = new Map(split.groups.map((group) => [group.index, group]))
  let acc: Float64Array = groupSum(byIndex.get(split.giantRotations))
  for (let i = split.giantRotations - 1; i >= 0; i--) {
    const rotated = rotate(acc, split.giantStep)
    const group = groupSum(byIndex.get(i))
    for (let s = 0; s < n; s++) rotated[s] += group[s]
    acc = rotated
  }
  return acc
}
