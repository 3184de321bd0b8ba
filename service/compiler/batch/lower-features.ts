/**
 * Lowers the step IR to a FeaturePlan (plan/feature-plan.ts): each dense step becomes a scalar
 * matrix across registers, each square a per-register square followed by a rescale, with the same
 * lazy-rescale decisions as the single-input plan (rescale-policy.ts), so both plans walk the same
 * scales and run on the same parameters.
 */
import { PrivinferError } from '../../../core/errors.ts'
import { unreachable } from '../../../core/unreachable.ts'
import type { FeatureOp, FeaturePlan } from '../plan/feature-plan.ts'
import { isLazyProduct, type RescalePolicy } from '../rescale-policy.ts'
import { composeDense } from '../complete-square.ts'
import type { DenseStep, Step } from '../step-ir.ts'

/**
 * @param slotCount CKKS slots (N/2): the most inputs per query.
 * @throws PrivinferError PLAN_INVALID when the chain has no dense step.
 */
export function lowerFeatureSteps(
  steps: readonly Step[],
  policy: RescalePolicy,
  slotCount: number,
): FeaturePlan {
  const ops: FeatureOp[] = []
  const matrices: Float64Array[] = []
  let depth = 0
  let lastDense = -1
  steps.forEach((step, index) => {
    if (step.kind === 'linear') lastDense = index
  })
  // A run of consecutive dense steps (an average pool kept apart before a window map, which the
  // slot plan runs as a fold) is one scalar matrix here; it is lazy exactly when the run's last
  // step is lazy in the slot plan, so both plans keep the same levels.
  let run: DenseStep | undefined
  steps.forEach((step, index) => {
    switch (step.kind) {
      case 'linear': {
        run = run === undefined ? step : composeDense(run, step)
        if (steps[index + 1]?.kind === 'linear') return
        const dense = run
        run = undefined
        const lazy = isLazyProduct(policy, steps, index)
        const isLast = index === lastDense
        ops.push({
          kind: 'linear',
          layer: dense.name,
          rows: dense.rows,
          columns: dense.columns,
          matrix: matrices.push(Float64Array.from(dense.weights)) - 1,
          scale: lazy ? { kind: 'fixed' } : { kind: 'target', role: isLast ? 'output' : 'hidden' },
          rescale: lazy ? 'none' : 'end',
        })
        if (!lazy) depth++
        if (dense.bias.some((value) => value !== 0))
          ops.push({ kind: 'addConstants', layer: dense.name, values: Array.from(dense.bias) })
        return
      }
      case 'square':
        ops.push({ kind: 'square', layer: step.name, linearCoefficient: step.linearCoefficient })
        ops.push({ kind: 'rescale', layer: step.name })
        depth++
        return
      case 'chebyshev':
        throw new PrivinferError(
          'PLAN_INVALID',
          `${step.name}: features packing does not evaluate fitted or high-degree polynomials; use --packing lanes`,
        )
      default:
        return unreachable(step)
    }
  })
  const first = ops.find((op) => op.kind === 'linear')
  const last = [...ops].reverse().find((op) => op.kind === 'linear')
  if (first?.kind !== 'linear' || last?.kind !== 'linear') {
    throw new Error('the step chain has no dense step')
  }
  return {
    formatVersion: 1,
    slotCount,
    depth,
    inputSize: first.columns,
    outputSize: last.rows,
    ops,
    matrices,
    needsRelinKeys: ops.some((op) => op.kind === 'square'),
  }
}
