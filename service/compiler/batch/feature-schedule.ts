/**
 * Levels and exact scales through a FeaturePlan (the per-feature twin of scale-schedule.ts): the
 * plaintext scale of every linear op's weights and the state before every op, from the parameters
 * and the actual primes (as doubles, as SEAL divides by them). Deterministic, so the node-seal
 * backend and the float64 bookkeeping agree.
 */
import { PrivinferError } from '../../../core/errors.ts'
import { unreachable } from '../../../core/unreachable.ts'
import { targetBits, type HeParameters } from '../he-parameters.ts'
import type { FeaturePlan } from '../plan/feature-plan.ts'

export interface FeatureSchedule {
  /** Level and scale before each op (index = op index) and at the end (index = ops.length). */
  levels: number[]
  scales: number[]
  /** Plaintext scale of each linear op's weights, by op index (undefined for other ops). */
  weightScales: Array<number | undefined>
  outputLevel: number
  outputScale: number
}

/** @throws PrivinferError PLAN_INVALID when the plan rescales below level 0 or needs other primes. */
export function scheduleFeatureScales(
  plan: FeaturePlan,
  parameters: HeParameters,
  primes: readonly number[],
): FeatureSchedule {
  if (primes.length !== plan.depth + 1) {
    throw new PrivinferError(
      'PLAN_INVALID',
      `feature plan depth ${plan.depth} needs ${plan.depth + 1} data primes, got ${primes.length}`,
    )
  }
  let level = plan.depth
  let scale = 2 ** parameters.scaleBits
  const levels: number[] = []
  const scales: number[] = []
  const weightScales: Array<number | undefined> = []
  const drop = (layer: string) => {
    if (level <= 0) throw new PrivinferError('PLAN_INVALID', `${layer}: rescale below level 0`)
    scale /= primes[level]
    level--
  }
  for (const op of plan.ops) {
    levels.push(level)
    scales.push(scale)
    weightScales.push(undefined)
    switch (op.kind) {
      case 'linear': {
        const plainScale =
          op.scale.kind === 'fixed'
            ? 2 ** parameters.weightScaleBits
            : (2 ** targetBits(parameters, op.scale.role) * primes[level]) / scale
        weightScales[weightScales.length - 1] = plainScale
        scale *= plainScale
        if (op.rescale === 'end') drop(op.layer)
        break
      }
      case 'addConstants':
        break
      case 'square':
        scale *= scale
        break
      case 'rescale':
        drop(op.layer)
        break
      default:
        return unreachable(op)
    }
  }
  levels.push(level)
  scales.push(scale)
  return { levels, scales, weightScales, outputLevel: level, outputScale: scale }
}
