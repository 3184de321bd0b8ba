/**
 * The level and exact scale of the running ciphertext through a plan, and the level and scale at
 * which every plaintext must be encoded (exact-scale management, DESIGN.md §Levels and scale).
 *
 * Deterministic given the plan, the parameters and the actual data primes, so the node-seal loader
 * (encode once at load) and the float64 backend (bookkeeping) agree. SEAL divides the scale by the
 * prime as a double on rescale (core/ckks/context.ts `primes`); the same doubles are used here.
 */
import { PrivinferError } from '../../core/errors.ts'
import { unreachable } from '../../core/unreachable.ts'
import { targetBits, type HeParameters } from './he-parameters.ts'
import { depthOf, type ChebyshevNode } from './plan/chebyshev.ts'
import type { ChebyshevOp, HePlan } from './plan/plan.ts'

export interface EncodeSpec {
  level: number
  scale: number
}

export interface ScaleSchedule {
  /** State before each op (index = op index) and at the end (index = ops.length). */
  levels: number[]
  scales: number[]
  /** Encode level and scale of every plaintext, by id. */
  plaintexts: EncodeSpec[]
  outputLevel: number
  outputScale: number
}

/**
 * @param primes data primes q0..q(L-1) as doubles (index 0 = q0).
 * @throws PrivinferError PLAN_INVALID when the plan rescales below level 0 or its depth does not
 *   match the number of primes.
 */
export function scheduleScales(
  plan: HePlan,
  parameters: HeParameters,
  primes: readonly number[],
): ScaleSchedule {
  if (primes.length !== plan.depth + 1) {
    throw new PrivinferError(
      'PLAN_INVALID',
      `plan depth ${plan.depth} needs ${plan.depth + 1} data primes, got ${primes.length}`,
    )
  }
  let level = plan.depth
  let scale = 2 ** parameters.scaleBits
  const levels: number[] = []
  const scales: number[] = []
  const plaintexts: EncodeSpec[] = new Array(plan.plaintexts.length)
  const drop = (layer: string) => {
    if (level <= 0) throw new PrivinferError('PLAN_INVALID', `${layer}: rescale below level 0`)
    scale /= primes[level]
    level--
  }
  for (const op of plan.ops) {
    levels.push(level)
    scales.push(scale)
    switch (op.kind) {
      case 'matVec': {
        const plainScale =
          op.scale.kind === 'fixed'
            ? 2 ** parameters.weightScaleBits
            : (2 ** targetBits(parameters, op.scale.role) * primes[level]) / scale
        if (op.scale.kind === 'target' && op.rescale === 'none') {
          throw new PrivinferError('PLAN_INVALID', `${op.layer}: a target scale needs a rescale`)
        }
        for (const group of op.groups)
          for (const term of group.terms) plaintexts[term.plaintext] = { level, scale: plainScale }
        scale *= plainScale
        if (op.rescale !== 'none') drop(op.layer)
        break
      }
      case 'fold':
        break
      case 'addPlain':
        plaintexts[op.plaintext] = { level, scale }
        break
      case 'square':
        if (op.linearPlaintext !== undefined) plaintexts[op.linearPlaintext] = { level, scale }
        scale *= scale
        break
      case 'chebyshev': {
        const result = scheduleChebyshev(op, level, scale, primes, 2 ** parameters.scaleBits)
        for (const [id, spec] of result.plaintexts) plaintexts[id] = spec
        level = result.level
        scale = result.scale
        break
      }
      case 'rescale':
        drop(op.layer)
        break
      case 'modSwitchTo':
        if (op.level > level)
          throw new PrivinferError(
            'PLAN_INVALID',
            `${op.layer}: cannot switch up to level ${op.level}`,
          )
        level = op.level
        break
      default:
        return unreachable(op)
    }
  }
  levels.push(level)
  scales.push(scale)
  return { levels, scales, plaintexts, outputLevel: level, outputScale: scale }
}

/**
 * Levels and scales through a ChebyshevOp (plan/chebyshev.ts) whose input is at `level` with
 * `scale`: the giants' scales follow from the primes; every term's factor is then encoded at the
 * scale that lands it exactly on the scale its parent needs, top-down from `resultScale`.
 * @throws PrivinferError PLAN_INVALID when the op needs more levels than the input has.
 */
export function scheduleChebyshev(
  op: ChebyshevOp,
  level: number,
  scale: number,
  primes: readonly number[],
  resultScale: number,
): {
  level: number
  scale: number
  plaintexts: Array<[number, EncodeSpec]>
  giantScales: number[]
} {
  const depth = depthOf(op.tree)
  if (depth > level) {
    throw new PrivinferError(
      'PLAN_INVALID',
      `${op.layer}: the polynomial needs ${depth} levels, the input has ${level}`,
    )
  }
  const plaintexts: Array<[number, EncodeSpec]> = []
  const giantScales = [scale]
  for (let j = 1; j <= op.giants; j++) {
    giantScales.push(giantScales[j - 1] ** 2 / primes[level - (j - 1)])
    plaintexts.push([op.minusOnes[j - 1], { level: level - j, scale: giantScales[j] }])
  }
  const visit = (node: ChebyshevNode, drop: number, target: number): void => {
    // The node's product is taken at levelIn and rescaled by primes[levelIn].
    const levelIn = level - (drop - 1)
    switch (node.kind) {
      case 'term':
        plaintexts.push([
          node.factor,
          { level: levelIn, scale: (target * primes[levelIn]) / giantScales[node.giant] },
        ])
        break
      case 'split':
        visit(node.quotient, drop - 1, (target * primes[levelIn]) / giantScales[node.giant])
        break
      default:
        return unreachable(node)
    }
    if (node.remainder !== undefined) visit(node.remainder, drop, target)
    if (node.constant !== undefined)
      plaintexts.push([node.constant, { level: level - drop, scale: target }])
  }
  visit(op.tree, depth, resultScale)
  return { level: level - depth, scale: resultScale, plaintexts, giantScales }
}
