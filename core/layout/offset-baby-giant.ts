/**
 * Baby-step giant-step over arbitrary signed diagonal rotations (Halevi–Shoup 2018, eprint
 * 2018/244, with the giant steps not restricted to multiples of one step).
 *
 * Each rotation r is written r = G + k·β with a giant offset G and a baby index 0 <= k < K:
 *   Y = Σ_G rot(Σ_k rot(p_{G+kβ}, -G) ⊙ rot(c, k·β), G).
 * The baby rotations rot(c, k·β) are made by repeated rotation by β (one Galois key); the giant sum
 * runs in Horner form over the offsets sorted downwards, acc ← rot(acc, G_prev − G) + S_G, and a
 * last rotation by the smallest offset when it is not 0. A convolution's rotations are
 * (block shift) + (row pitch)·ky + kx: baby steps over kx, giant offsets over (block shift, ky), and
 * the Horner differences take two values (the row pitch and the jump to the next block), so a
 * 5x5 kernel on one channel costs 4 + 4 rotations and two keys.
 */
import { rotate } from './rotate.ts'

export interface OffsetGroup {
  /** Giant offset G: the group sum is rotated by G in total. */
  offset: number
  /** Baby index k (rot(c, k·babyStep)) and the pre-rotated diagonal rot(p_{G + kβ}, -G). */
  terms: Array<{ baby: number; diagonal: Float64Array }>
}

export interface OffsetSplit {
  babyStep: number
  /** Largest baby index used: the baby rotations are maxBaby rotations by babyStep. */
  maxBaby: number
  /** Groups by descending offset (the Horner order). */
  groups: OffsetGroup[]
}

/**
 * Splits `diagonals` with baby step β and at most `babyCount` baby indices; giant offsets by a
 * greedy cover (the offset that takes the most remaining rotations first; ties: the larger offset).
 */
export function splitByOffsets(
  diagonals: Map<number, Float64Array>,
  babyStep: number,
  babyCount: number,
): OffsetSplit {
  const assignment = coverOffsets([...diagonals.keys()], babyStep, babyCount)
  const byOffset = new Map<number, OffsetGroup>()
  let maxBaby = 0
  for (const [r, offset] of assignment) {
    const baby = (r - offset) / babyStep
    maxBaby = Math.max(maxBaby, baby)
    let group = byOffset.get(offset)
    if (group === undefined) byOffset.set(offset, (group = { offset, terms: [] }))
    group.terms.push({ baby, diagonal: rotate(diagonals.get(r)!, -offset) })
  }
  const groups = [...byOffset.values()].sort((a, b) => b.offset - a.offset)
  for (const group of groups) group.terms.sort((a, b) => a.baby - b.baby)
  return { babyStep, maxBaby, groups }
}

/**
 * r -> giant offset, for rotations r = offset + k·step with 0 <= k < count: greedy, the offset that
 * takes the most remaining rotations first (ties: the larger offset). Gains are kept in a flat
 * array and decremented as rotations are taken, so the cost is D·count plus one scan per group.
 */
function coverOffsets(rotations: number[], step: number, count: number): Map<number, number> {
  let low = Infinity
  let high = -Infinity
  for (const r of rotations) {
    low = Math.min(low, r - (count - 1) * step)
    high = Math.max(high, r)
  }
  const gain = new Int32Array(high - low + 1)
  for (const r of rotations) for (let k = 0; k < count; k++) gain[r - k * step - low]++
  const left = new Set(rotations)
  const result = new Map<number, number>()
  while (left.size > 0) {
    let best = 0
    for (let i = 1; i < gain.length; i++) if (gain[i] >= gain[best]) best = i
    const offset = best + low
    for (let k = 0; k < count; k++) {
      const r = offset + k * step
      if (!left.delete(r)) continue
      result.set(r, offset)
      for (let j = 0; j < count; j++) gain[r - j * step - low]--
    }
  }
  return result
}

/** Rotation steps the split uses (Galois keys), ascending. */
export function stepsOfOffsetSplit(split: OffsetSplit): number[] {
  return stepsOf(
    split.babyStep,
    split.maxBaby,
    split.groups.map((group) => group.offset),
  )
}

function stepsOf(babyStep: number, maxBaby: number, descendingOffsets: number[]): number[] {
  // ASSUME: offsets lie within one slot-count interval (compactRepresentatives), so the Horner
  // differences are below the slot count.
  const steps = new Set<number>()
  if (maxBaby > 0) steps.add(babyStep)
  for (let i = 1; i < descendingOffsets.length; i++)
    steps.add(descendingOffsets[i - 1] - descendingOffsets[i])
  const last = descendingOffsets[descendingOffsets.length - 1]
  if (last !== undefined && last !== 0) steps.add(last)
  return [...steps].sort((a, b) => a - b)
}

/** Rotations the split costs: baby + Horner differences + the last offset. */
export function rotationsOfOffsetSplit(split: OffsetSplit): number {
  return rotationsOf(
    split.maxBaby,
    split.groups.map((group) => group.offset),
  )
}

function rotationsOf(maxBaby: number, descendingOffsets: number[]): number {
  const last = descendingOffsets[descendingOffsets.length - 1]
  return (
    maxBaby + Math.max(0, descendingOffsets.length - 1) + (last !== undefined && last !== 0 ? 1 : 0)
  )
}

export interface BestOffsetSplitOptions {
  /** Cost of one more Galois key, in rotations (key upload vs time). Default 0.5. */
  keyCost?: number
  /** Largest baby count tried. Default 64. */
  maxBabyCount?: number
}

/**
 * The split with the fewest rotations (+ keyCost per key) over baby steps 1..4, the rotations'
 * common divisor and their most frequent small differences, and baby counts 1..maxBabyCount.
 */
export function bestOffsetSplit(
  diagonals: Map<number, Float64Array>,
  options: BestOffsetSplitOptions = {},
): OffsetSplit {
  const keyCost = options.keyCost ?? 0.5
  const rekeyed = compactRepresentatives(diagonals)
  const rotations = [...rekeyed.keys()].sort((a, b) => a - b)
  const steps = new Set([1, 2, 3, 4])
  const divisor = rotations.reduce((g, r) => gcd(g, Math.abs(r)), 0)
  if (divisor > 1) steps.add(divisor)
  const differences = new Map<number, number>()
  for (let i = 1; i < rotations.length; i++) {
    const d = rotations[i] - rotations[i - 1]
    differences.set(d, (differences.get(d) ?? 0) + 1)
  }
  ;[...differences.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .forEach(([d]) => steps.add(d))
  const maxCount = Math.min(options.maxBabyCount ?? 64, Math.max(1, rotations.length))
  let best = { step: 1, count: 1 }
  let bestCost = Infinity
  for (const step of steps) {
    for (let count = 1; count <= maxCount; count++) {
      // No split with `count` baby indices does better than (count - 1) + ceil(D / count) - 1.
      const lowerBound = count - 1 + Math.ceil(rotations.length / count) - 1
      if (lowerBound >= bestCost) continue
      const assignment = coverOffsets(rotations, step, count)
      let maxBaby = 0
      for (const [r, offset] of assignment) maxBaby = Math.max(maxBaby, (r - offset) / step)
      const offsets = [...new Set(assignment.values())].sort((a, b) => b - a)
      const cost = rotationsOf(maxBaby, offsets) + keyCost * stepsOf(step, maxBaby, offsets).length
      if (cost < bestCost) {
        best = { step, count }
        bestCost = cost
      }
    }
  }
  return splitByOffsets(rekeyed, best.step, best.count)
}

/**
 * The same diagonals keyed by representatives of their rotations modulo the slot count that lie in
 * the shortest interval: the circle of residues is cut at its largest gap (a rotation by r and by
 * r − slotCount are the same). Blocks of a cyclic channel layout then keep their order.
 */
function compactRepresentatives(diagonals: Map<number, Float64Array>): Map<number, Float64Array> {
  const entries = [...diagonals.entries()]
  if (entries.length < 2) return diagonals
  const n = entries[0][1].length
  const residues = entries.map(([r]) => ((r % n) + n) % n).sort((a, b) => a - b)
  let cut = 0
  let widest = residues[0] + n - residues[residues.length - 1]
  for (let i = 1; i < residues.length; i++) {
    if (residues[i] - residues[i - 1] > widest) {
      widest = residues[i] - residues[i - 1]
      cut = i
    }
  }
  const start = residues[cut]
  // Prefer the representative interval that contains 0 when it is as short (no final rotation).
  const lowest = start > n / 2 ? start - n : start
  const rekeyed = new Map<number, Float64Array>()
  for (const [r, diagonal] of entries) {
    const residue = ((r % n) + n) % n
    rekeyed.set(
      residue >= start ? residue - start + lowest : residue + n - start + lowest,
      diagonal,
    )
  }
  return rekeyed
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b)
}

/** Evaluates a split on plain slots, in the Horner order the runtime uses (reference for tests). */
export function applyOffsetSplit(split: OffsetSplit, slots: Float64Array): Float64Array {
  const n = slots.length
  const babies: Float64Array[] = [slots]
  for (let k = 1; k <= split.maxBaby; k++) babies.push(rotate(babies[k - 1], split.babyStep))
  let acc: Float64Array | undefined
  let previousOffset = 0
  for (const group of split.groups) {
    const sum = new Float64Array(n)
    for (const term of group.terms)
      for (let s = 0; s < n; s++) sum[s] += term.diagonal[s] * babies[term.baby][s]
    if (acc === undefined) acc = sum
    else {
      acc = rotate(acc, previousOffset - group.offset)
      for (let s = 0; s < n; s++) acc[s] += sum[s]
    }
    previousOffset = group.offset
  }
  if (acc === undefined) return new Float64Array(n)
  return previousOffset === 0 ? acc : rotate(acc, previousOffset)
}
