/**
 * Lanes (block packing of a batch): K inputs of one key holder in one ciphertext, input k in lane k,
 * i.e. virtual slot v of input k at real slot v·K + k (interleaved rather than side-by-side blocks).
 *
 * Why interleaved: a cyclic rotation of the N/2 real slots by K·r is, in every lane, the cyclic
 * rotation of the N/2/K virtual slots by r ((v·K + k + K·r) mod N/2 = ((v + r) mod N/2/K)·K + k).
 * So the single-input plan lowered for N/2/K slots runs unchanged on all K inputs at once once each
 * plaintext value is repeated over the K lanes and every rotation step is multiplied by K: no masks
 * and no block-aware diagonals, which side-by-side blocks would need wherever a rotation crosses a
 * block boundary. The price: the single plan gets N/2/K slots, so fewer pre-rotated replicas fit.
 */
import { galoisStepsOf, type HePlan, type PlanOp } from '../plan/plan.ts'
import { unreachable } from '../../../core/unreachable.ts'

/**
 * The plan for `lanes` inputs side by side, from a plan lowered for slotCount / lanes slots.
 * Layouts stay virtual (HePlan.lanes documents the mapping).
 * @throws RangeError when lanes is not a power of two >= 1 (the slot count must stay a power of two).
 */
export function expandToLanes(virtual: HePlan, lanes: number): HePlan {
  if (!Number.isInteger(lanes) || lanes < 1 || (lanes & (lanes - 1)) !== 0) {
    throw new RangeError(`lanes must be a power of two, got ${lanes}`)
  }
  if ((virtual.lanes ?? 1) !== 1) throw new RangeError('the plan already has lanes')
  const slotCount = virtual.slotCount * lanes
  const plaintexts = virtual.plaintexts.map((values) => {
    const expanded = new Float64Array(slotCount)
    for (let v = 0; v < values.length; v++) {
      if (values[v] !== 0) expanded.fill(values[v], v * lanes, (v + 1) * lanes)
    }
    return expanded
  })
  const ops = virtual.ops.map((op): PlanOp => {
    switch (op.kind) {
      case 'matVec':
        return {
          ...op,
          giantStep: op.giantStep * lanes,
          babyStep: (op.babyStep ?? 1) * lanes,
          groups: op.groups.map((group) =>
            group.offset === undefined ? group : { ...group, offset: group.offset * lanes },
          ),
        }
      case 'fold':
        return {
          ...op,
          stages: op.stages.map((stage) => ({ ...stage, step: stage.step * lanes })),
        }
      case 'addPlain':
      case 'square':
      case 'rescale':
      case 'modSwitchTo':
      // Element-wise with per-slot coefficient plaintexts, expanded to the lanes like the others.
      case 'chebyshev':
        return op
      default:
        return unreachable(op)
    }
  })
  return {
    ...virtual,
    slotCount,
    ops,
    plaintexts,
    galoisSteps: galoisStepsOf(ops),
    lanes,
  }
}
