/**
 * One query across cores: a model with one hidden layer, f(x) = B·σ(A·x + a) + b, is the sum over
 * any partition of the hidden units P_1 .. P_k of the part models
 *
 *   f_p(x) = B[:, P_p] · σ(A[P_p, :] · x + a[P_p])   (+ b in part 1 only),
 *
 * which are independent given the input: each is lowered as its own plan on the single plan's input
 * layout (the same input ciphertext), run on its own worker, and the part outputs are added
 * (service/pool). This splits the output blocks of the first product and the input blocks of the
 * last, so both the rotations and the products of every layer shrink per worker; the serial tail is
 * the merge (one addition). Every part must walk the same levels and scales as the single plan and
 * end in the same output layout, and its values must fit the single plan's chain.
 */
import { PrivinferError } from '../../../core/errors.ts'
import type { HeParameters } from '../he-parameters.ts'
import { lowerSteps, type LowerOptions } from '../lower.ts'
import { measureRanges } from '../measure-ranges.ts'
import { countOps, type HePlan } from '../plan/plan.ts'
import { scheduleScales } from '../scale-schedule.ts'
import type { DenseStep, Step } from '../step-ir.ts'
import { valuesFit } from '../values-fit.ts'

export interface CompiledSplit {
  parts: HePlan[]
  opCounts: Array<Record<string, number>>
  reasons: string[]
}

export interface SplitContext {
  steps: readonly Step[]
  lowerOptions: Omit<LowerOptions, 'slotCount'>
  single: HePlan
  parameters: HeParameters
  calibration: ReadonlyArray<ArrayLike<number>>
  headroomMargin: number
}

/** Rows [start, end) of a dense step. */
function rowsOf(step: DenseStep, start: number, end: number): DenseStep {
  return {
    ...step,
    rows: end - start,
    weights: step.weights.slice(start * step.columns, end * step.columns),
    bias: step.bias.slice(start, end),
  }
}

/** Columns [start, end) of a dense step, with or without its bias. */
function columnsOf(step: DenseStep, start: number, end: number, withBias: boolean): DenseStep {
  const columns = end - start
  const weights = new Float64Array(step.rows * columns)
  for (let j = 0; j < step.rows; j++)
    weights.set(
      step.weights.subarray(j * step.columns + start, j * step.columns + end),
      j * columns,
    )
  return {
    ...step,
    columns,
    weights,
    bias: withBias ? Float64Array.from(step.bias) : new Float64Array(step.rows),
  }
}

/**
 * The part plans of a `parts`-way split, or the reason there is none (the chain is not
 * dense-square-dense, a part does not walk the single plan's scales or fit its chain, or it would
 * not be cheaper).
 */
export function compileSplit(
  context: SplitContext,
  parts: number,
): { split: CompiledSplit } | { rejected: string } {
  const { steps, single } = context
  const [first, square, last] = steps
  if (
    steps.length !== 3 ||
    first?.kind !== 'linear' ||
    square?.kind !== 'square' ||
    last?.kind !== 'linear' ||
    first.window !== undefined
  ) {
    return { rejected: 'split: only dense-square-dense chains are split (one hidden layer)' }
  }
  if (first.rows < 2 * parts) return { rejected: `split: ${first.rows} hidden units are too few` }
  // Balanced contiguous blocks of hidden units, as powers of two where possible (row periods).
  const size = Math.ceil(first.rows / parts)
  const plans: HePlan[] = []
  const reasons: string[] = []
  const singleSchedule = scheduleScales(single, context.parameters, nominal(context.parameters))
  for (let p = 0; p < parts; p++) {
    const start = p * size
    const end = Math.min(first.rows, start + size)
    const partSteps: Step[] = [
      rowsOf(first, start, end),
      square,
      columnsOf(last, start, end, p === 0),
    ]
    const lowered = lowerSteps(partSteps, [], {
      ...context.lowerOptions,
      slotCount: single.slotCount,
      inputLayout: single.inputLayout,
    })
    const plan = lowered.plan
    if (plan.depth !== single.depth) return { rejected: `split: part ${p + 1} has another depth` }
    if (JSON.stringify(plan.outputLayout) !== JSON.stringify(single.outputLayout)) {
      return { rejected: `split: part ${p + 1} ends in another output layout` }
    }
    const schedule = scheduleScales(plan, context.parameters, nominal(context.parameters))
    if (
      schedule.outputLevel !== singleSchedule.outputLevel ||
      Math.abs(schedule.outputScale / singleSchedule.outputScale - 1) > 1e-12
    ) {
      return { rejected: `split: part ${p + 1} ends at another level or scale` }
    }
    const ranges = measureRanges(plan, context.calibration)
    const problem = valuesFit(
      plan.ops.map((_, index) => ({
        level: schedule.levels[index + 1],
        scale: schedule.scales[index + 1],
        maxAbs: ranges.afterOp[index],
      })),
      context.parameters,
      context.headroomMargin,
    )
    if (problem !== undefined) return { rejected: `split: part ${p + 1}: ${problem}` }
    plans.push(plan)
    const counts = countOps(plan)
    reasons.push(
      `split part ${p + 1}/${parts}: hidden units ${start}..${end - 1}, ${counts.rotations} rotations, ${counts.plaintextProducts} plaintext products`,
    )
  }
  const singleRotations = countOps(single).rotations
  const worst = Math.max(...plans.map((plan) => countOps(plan).rotations))
  if (worst >= singleRotations) {
    return {
      rejected: `split: a part needs ${worst} rotations, the single plan ${singleRotations}: nothing to gain`,
    }
  }
  return { split: { parts: plans, opCounts: plans.map((plan) => countOps(plan)), reasons } }
}

function nominal(parameters: HeParameters): number[] {
  return parameters.coeffModulusBits.slice(0, -1).map((bits) => 2 ** bits)
}

/** @throws PrivinferError BAD_REQUEST for a part count that is not an integer >= 2. */
export function checkSplitParts(parts: number): void {
  if (!Number.isInteger(parts) || parts < 2) {
    throw new PrivinferError('BAD_REQUEST', `split parts must be an integer >= 2, got ${parts}`)
  }
}
