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
import type { HePlan } from './plan/plan.ts'

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
