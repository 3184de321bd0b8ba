/**
 * The HE plan: plain, JSON-serializable data that service/runtime executes on one ciphertext
 * (DESIGN.md §Packing, STYLE.md §4). Ops run in order on a single running ciphertext; the
 * plaintext vectors (slotCount values each) live in `plaintexts` and are referenced by index.
 *
 * Levels and scales are not stored per op: they follow deterministically from the ops, the
 * parameters and the actual primes (service/compiler/scale-schedule.ts), so the seal loader and the
 * float64 backend derive the same encode level and scale for every plaintext.
 *
 * Adding a plan op: add it to PlanOp; tsc then lists every interpreter that must handle it (each
 * ends in `default: return unreachable(op)`): execute-plan.ts (and the HeBackend methods it needs,
 * implemented by every backend), scale-schedule.ts, tolerance.ts, select-parameters.ts (chainFor),
 * countOps and galoisStepsOf here.
 */
import type { InputLayout, OutputLayout } from '../../../core/card.ts'
import type { FoldStage } from '../../../core/layout/fold.ts'
import { unreachable } from '../../../core/unreachable.ts'
import { depthOf, nodesOf, type ChebyshevNode } from './chebyshev.ts'

/**
 * How a product's plaintext is scaled.
 * - fixed: plaintext scale 2^weightScaleBits and no rescale right after (lazy rescaling: the product
 *   scale 2^(scaleBits + weightScaleBits) is carried into the following square).
 * - target: plaintext scale 2^targetBits · q_level / currentScale, so that the rescale that follows
 *   (dropping q_level) lands exactly on 2^targetBits (exact-scale management). `role` picks
 *   targetBits: 'hidden' → scaleBits, 'output' → outputScaleBits.
 */
export type ScaleRule = { kind: 'fixed' } | { kind: 'target'; role: 'hidden' | 'output' }

export interface MatVecGroup {
  /** Giant index i: the group is rotated by giantStep·i in total (Horner). */
  index: number
  /**
   * Explicit giant offset (signed slots): the group is rotated by `offset` in total instead of
   * giantStep·index. Either every group of an op has one or none has (core/layout/offset-baby-giant.ts:
   * convolutions, whose diagonals are not multiples of one step).
   */
  offset?: number
  /** Baby step k (rot(c, k·babyStep), k rotations by babyStep) and the pre-rotated diagonal's plaintext id. */
  terms: Array<{ baby: number; plaintext: number }>
}

/**
 * Y = Σ_i rot(Σ_k P_ik ⊙ rot(c, k·β), G_i): baby-step giant-step diagonal product, with G_i =
 * giantStep·i (one Galois key, Horner by giantStep) or the groups' explicit offsets (Horner by the
 * differences of consecutive offsets, groups in descending offset order, and a last rotation by the
 * smallest offset when it is not 0). See hornerPlan.
 */
export interface MatVecOp {
  kind: 'matVec'
  layer: string
  /** The uniform giant step (unused, 0, when the groups carry offsets). */
  giantStep: number
  /** Baby rotation step β (default 1). */
  babyStep?: number
  /** Baby rotations (all by babyStep): rot(c, β) .. rot(c, maxBaby·β). */
  maxBaby: number
  /** Giant rotations in Horner form: the largest group index (uniform) or hornerPlan's count. */
  giantRotations: number
  groups: MatVecGroup[]
  scale: ScaleRule
  /** none (lazy), end (one rescale after the giant sum), groups (rescale each group first). */
  rescale: 'none' | 'end' | 'groups'
}

/** z = Σ over fold stages (core/layout/fold.ts). */
export interface FoldOp {
  kind: 'fold'
  layer: string
  stages: FoldStage[]
}

/** Adds a plaintext encoded at the ciphertext's level and scale (bias). */
export interface AddPlainOp {
  kind: 'addPlain'
  layer: string
  plaintext: number
}

/**
 * x ← x² (ciphertext square + relinearization), or x² + β ⊙ x when `linearPlaintext` is set (β
 * encoded at the ciphertext's scale so both terms share the scale). A rescale op follows.
 */
export interface SquareOp {
  kind: 'square'
  layer: string
  linearPlaintext?: number
}

export interface RescaleOp {
  kind: 'rescale'
  layer: string
}

export interface ModSwitchOp {
  kind: 'modSwitchTo'
  layer: string
  level: number
}

/**
 * x ← p(x) element-wise, p in the Chebyshev basis on [-1, 1] (chebyshev.ts): the input is already
 * normalized to [-1, 1] by the previous layer. `giants` giant steps T_2 .. T_{2^giants} are
 * computed first, each T_2k = 2 T_k² − 1 with the per-slot −1 of `minusOnes[j − 1]`; the tree
 * then combines them. The result is `depthOf(tree)` levels below the input, at the hidden scale.
 */
export interface ChebyshevOp {
  kind: 'chebyshev'
  layer: string
  giants: number
  /** Plaintext id of the −1 constant of giant j (index j − 1). */
  minusOnes: number[]
  tree: ChebyshevNode
}

export type PlanOp =
  MatVecOp | FoldOp | AddPlainOp | SquareOp | ChebyshevOp | RescaleOp | ModSwitchOp

export interface HePlan {
  formatVersion: 1
  slotCount: number
  /** Rescales on the way = data primes - 1; the input is at level `depth`, the output at 0. */
  depth: number
  inputLayout: InputLayout
  outputLayout: OutputLayout
  ops: PlanOp[]
  /** Plaintext vectors (slotCount values each), by id. */
  plaintexts: Float64Array[]
  /** Rotation steps used (Galois keys the client must make), ascending. */
  galoisSteps: number[]
  needsRelinKeys: boolean
  /**
   * Inputs evaluated side by side (default 1): input k's virtual slot v is real slot v·lanes + k.
   * inputLayout and outputLayout then describe the virtual slots (slotCount / lanes).
   */
  lanes?: number
}

/** Total giant rotation of a group (its diagonals are pre-rotated by the opposite). */
export function giantOffsetOf(op: MatVecOp, group: MatVecGroup): number {
  return group.offset ?? op.giantStep * group.index
}

/**
 * The giant sum of a matVec in Horner order: the groups from the largest total rotation down, the
 * rotation steps applied to the accumulator before each group is added (none before the first),
 * and the steps after the last group. Uniform giant steps rotate by giantStep once per index (one
 * Galois key); explicit offsets rotate once by each gap.
 */
export function hornerPlan(op: MatVecOp): {
  groups: Array<{ group: MatVecGroup; before: number[] }>
  after: number[]
} {
  const explicit = op.groups.some((group) => group.offset !== undefined)
  const ordered = [...op.groups].sort((a, b) => giantOffsetOf(op, b) - giantOffsetOf(op, a))
  const steps = (from: number, to: number): number[] => {
    if (from === to) return []
    if (!explicit) return new Array<number>((from - to) / op.giantStep).fill(op.giantStep)
    return [from - to]
  }
  const groups = ordered.map((group, i) => ({
    group,
    before: i === 0 ? [] : steps(giantOffsetOf(op, ordered[i - 1]), giantOffsetOf(op, group)),
  }))
  const last = ordered[ordered.length - 1]
  return { groups, after: last === undefined ? [] : steps(giantOffsetOf(op, last), 0) }
}

/** Rotation steps an op list uses. */
export function galoisStepsOf(ops: readonly PlanOp[]): number[] {
  const steps = new Set<number>()
  for (const op of ops) {
    switch (op.kind) {
      case 'matVec': {
        if (op.maxBaby > 0) steps.add(op.babyStep ?? 1)
        const horner = hornerPlan(op)
        for (const { before } of horner.groups) for (const step of before) steps.add(step)
        for (const step of horner.after) steps.add(step)
        break
      }
      case 'fold':
        for (const stage of op.stages) steps.add(stage.step)
        break
      case 'addPlain':
      case 'square':
      case 'chebyshev':
      case 'rescale':
      case 'modSwitchTo':
        break
      default:
        return unreachable(op)
    }
  }
  return [...steps].sort((a, b) => a - b)
}

/** Operation counts of a plan (rotations, products, rescales...), for the card and tests. */
export function countOps(plan: Pick<HePlan, 'ops'>): Record<string, number> {
  const counts = {
    rotations: 0,
    plaintextProducts: 0,
    ciphertextProducts: 0,
    plaintextAdds: 0,
    ciphertextAdds: 0,
    rescales: 0,
    modSwitches: 0,
  }
  for (const op of plan.ops) {
    switch (op.kind) {
      case 'matVec': {
        const terms = op.groups.reduce((sum, group) => sum + group.terms.length, 0)
        counts.rotations += op.maxBaby + op.giantRotations
        counts.plaintextProducts += terms
        counts.ciphertextAdds += terms - op.groups.length + op.giantRotations
        counts.rescales += op.rescale === 'end' ? 1 : op.rescale === 'groups' ? op.groups.length : 0
        break
      }
      case 'fold':
        for (const stage of op.stages) {
          counts.rotations += stage.radix - 1
          counts.ciphertextAdds += stage.radix - 1
        }
        break
      case 'addPlain':
        counts.plaintextAdds++
        break
      case 'square':
        counts.ciphertextProducts++
        if (op.linearPlaintext !== undefined) {
          counts.plaintextProducts++
          counts.ciphertextAdds++
        }
        break
      case 'chebyshev':
        countChebyshev(op, counts)
        break
      case 'rescale':
        counts.rescales++
        break
      case 'modSwitchTo':
        counts.modSwitches++
        break
      default:
        return unreachable(op)
    }
  }
  return counts
}

/** Operation counts of a Chebyshev evaluation (giants, then the tree; execute-plan.ts). */
function countChebyshev(op: ChebyshevOp, counts: Record<string, number>): void {
  counts.ciphertextProducts += op.giants
  counts.ciphertextAdds += op.giants
  counts.plaintextAdds += op.giants
  counts.rescales += op.giants
  for (const node of nodesOf(op.tree)) {
    if (node.constant !== undefined) counts.plaintextAdds++
    if (node.remainder !== undefined) counts.ciphertextAdds++
    switch (node.kind) {
      case 'term':
        counts.plaintextProducts++
        counts.rescales++
        break
      case 'split':
        counts.ciphertextProducts++
        counts.rescales++
        break
      default:
        return unreachable(node)
    }
  }
}

/** Levels a Chebyshev op consumes. */
export function depthOfChebyshev(op: ChebyshevOp): number {
  return depthOf(op.tree)
}
