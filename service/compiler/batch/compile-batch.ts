/**
 * The batch plan of a model (`--batch K`): up to K inputs of one key holder per query, on the
 * parameters already chosen for the single-input plan (so one key set serves both). Two packings:
 * - lanes: the single plan lowered for N/2/lanes slots and expanded (batch/lanes.ts); possible up to
 *   the largest power of two of lanes the layers still fit;
 * - features: one ciphertext per input feature, scalar weights across ciphertexts
 *   (batch/lower-features.ts); holds N/2 inputs.
 * Either is checked against the pinned chain: the values it computes (measured on the calibration
 * inputs, exactly) must fit every level's modulus with the usual margin.
 */
import { PrivinferError } from '../../../core/errors.ts'
import type { BatchPacking } from '../../../core/card.ts'
import type { HeParameters } from '../he-parameters.ts'
import { lowerSteps, type LowerOptions } from '../lower.ts'
import { measureRanges } from '../measure-ranges.ts'
import { executeFeaturePlan } from '../plan/execute-feature-plan.ts'
import { createExactFeatureBackend } from '../plan/exact-feature-backend.ts'
import { countFeatureOps, type FeaturePlan } from '../plan/feature-plan.ts'
import { countOps, type HePlan } from '../plan/plan.ts'
import { rescalePolicyOf } from '../rescale-policy.ts'
import { scheduleScales } from '../scale-schedule.ts'
import { SlotsExceededError } from '../slots-exceeded-error.ts'
import type { Step } from '../step-ir.ts'
import { scheduleFeatureScales } from './feature-schedule.ts'
import { expandToLanes } from './lanes.ts'
import { lowerFeatureSteps } from './lower-features.ts'
import { valuesFit } from '../values-fit.ts'

export interface BatchOptions {
  /** Inputs per query asked for (--batch K). */
  batch?: number
  /** Force a packing (default: chosen by the measured cost model, packing-cost.ts). */
  packing?: BatchPacking
}

export type CompiledBatch =
  | {
      packing: 'lanes'
      maxBatch: number
      lanes: number
      /** The expanded plan (real slots; layouts virtual, HePlan.lanes). */
      plan: HePlan
      opCounts: Record<string, number>
      reasons: string[]
    }
  | {
      packing: 'features'
      maxBatch: number
      plan: FeaturePlan
      opCounts: Record<string, number>
      reasons: string[]
    }

/** What the batch compiler needs from the single-input compilation. */
export interface BatchContext {
  steps: readonly Step[]
  lowerOptions: Omit<LowerOptions, 'slotCount'>
  parameters: HeParameters
  calibration: ReadonlyArray<ArrayLike<number>>
  /** Safety factor on calibrated values (select-parameters.ts headroomMargin). */
  headroomMargin: number
}

/** Model of one query's cost (ms) by packing, from measured primitive costs (packing-cost.ts). */
export interface PackingCosts {
  lanes(plan: HePlan): number
  features(plan: FeaturePlan): number
}

/**
 * @throws PrivinferError BATCH_TOO_LARGE when no packing holds K inputs (the message names the
 *   limit), PLAN_INVALID when the pinned chain cannot hold the batch plan's values.
 */
export function compileBatch(
  context: BatchContext,
  options: BatchOptions,
  costs: PackingCosts,
): CompiledBatch | undefined {
  const requested = options.batch
  if (requested === undefined) return undefined
  if (!Number.isInteger(requested) || requested < 1) {
    throw new PrivinferError('BAD_REQUEST', `--batch must be a positive integer, got ${requested}`)
  }
  const slotCount = context.parameters.polyModulusDegree / 2
  const lanes = options.packing === 'features' ? undefined : lanesPlan(context, requested)
  const features =
    options.packing === 'lanes' || requested > slotCount ? undefined : featuresPlan(context)
  if (options.packing === 'lanes' && lanes?.plan === undefined) {
    throw new PrivinferError(
      'BATCH_TOO_LARGE',
      `lanes packing holds at most ${lanes?.maxLanes ?? 1} inputs per query for this model (N = ${context.parameters.polyModulusDegree}), --batch ${requested} asked for more`,
      { limit: lanes?.maxLanes ?? 1, packing: 'lanes' },
    )
  }
  if (options.packing === 'features' && features === undefined && requested <= slotCount) {
    throw new PrivinferError(
      'PLAN_INVALID',
      'the features batch plan of this model needs another modulus chain than its single plan',
    )
  }
  if (lanes?.plan === undefined && features === undefined) {
    throw new PrivinferError(
      'BATCH_TOO_LARGE',
      `at most ${slotCount} inputs per query fit this model's N = ${context.parameters.polyModulusDegree} (one per slot, features packing), --batch ${requested} asked for more`,
      { limit: slotCount, packing: 'features' },
    )
  }
  const lanesMs = lanes?.plan && costs.lanes(lanes.plan)
  const featuresMs = features && costs.features(features)
  const perInput = (ms: number | undefined, count: number) =>
    ms === undefined ? 'n/a' : `${(ms / count).toFixed(2)} ms/input`
  const estimate = `estimated at ${requested} inputs: lanes ${perInput(lanesMs, requested)}, features ${perInput(featuresMs, requested)} (packing-cost.ts)`
  const chooseLanes =
    lanes?.plan !== undefined &&
    (options.packing === 'lanes' ||
      features === undefined ||
      (lanesMs !== undefined && featuresMs !== undefined && lanesMs <= featuresMs))
  if (chooseLanes && lanes?.plan) {
    const plan = lanes.plan
    return {
      packing: 'lanes',
      maxBatch: lanes.count,
      lanes: lanes.count,
      plan,
      opCounts: countOps(plan),
      reasons: [
        `batch: lanes packing, ${lanes.count} inputs side by side (the single plan for ${plan.slotCount / lanes.count} slots, every step x${lanes.count}); lanes fit up to ${lanes.maxLanes}`,
        options.packing === 'lanes'
          ? 'batch: packing forced (--packing lanes)'
          : `batch: ${estimate}`,
        ...lanes.reasons,
      ],
    }
  }
  if (features === undefined) throw new Error('unreachable: no batch plan')
  return {
    packing: 'features',
    maxBatch: slotCount,
    plan: features,
    opCounts: countFeatureOps(features),
    reasons: [
      `batch: features packing (one input per slot): ${features.inputSize} input ciphertexts, ${features.outputSize} output ciphertexts, up to ${slotCount} inputs per query, no rotations`,
      options.packing === 'features'
        ? 'batch: packing forced (--packing features)'
        : `batch: ${estimate}`,
    ],
  }
}

/** The lanes plan for K inputs (K rounded up to a power of two), and the most lanes that fit. */
function lanesPlan(
  context: BatchContext,
  requested: number,
): { plan?: HePlan; count: number; maxLanes: number; reasons: string[] } {
  const slotCount = context.parameters.polyModulusDegree / 2
  let maxLanes = 1
  let chosen: { plan: HePlan; count: number; reasons: string[] } | undefined
  for (let count = 2; count <= slotCount; count *= 2) {
    let virtual: HePlan
    let reasons: string[]
    try {
      const lowered = lowerSteps(context.steps, [], {
        ...context.lowerOptions,
        slotCount: slotCount / count,
      })
      virtual = lowered.plan
      reasons = lowered.reasons
    } catch (error) {
      if (error instanceof SlotsExceededError) break
      throw error
    }
    if (virtual.depth !== context.parameters.coeffModulusBits.length - 2) break
    const ranges = measureRanges(virtual, context.calibration)
    const schedule = scheduleScales(virtual, context.parameters, nominalPrimes(context.parameters))
    const states = virtual.ops.map((_, index) => ({
      level: schedule.levels[index + 1],
      scale: schedule.scales[index + 1],
      maxAbs: ranges.afterOp[index],
    }))
    if (valuesFit(states, context.parameters, context.headroomMargin) !== undefined) break
    maxLanes = count
    if (chosen === undefined && count >= requested) {
      chosen = {
        plan: expandToLanes(virtual, count),
        count,
        reasons: reasons.map((line) => `batch lanes: ${line}`),
      }
    }
  }
  return { ...chosen, count: chosen?.count ?? maxLanes, maxLanes, reasons: chosen?.reasons ?? [] }
}

function featuresPlan(context: BatchContext): FeaturePlan | undefined {
  const slotCount = context.parameters.polyModulusDegree / 2
  const plan = lowerFeatureSteps(context.steps, rescalePolicyOf(context.lowerOptions), slotCount)
  if (plan.depth !== context.parameters.coeffModulusBits.length - 2) return undefined
  const schedule = scheduleFeatureScales(
    plan,
    context.parameters,
    nominalPrimes(context.parameters),
  )
  const afterOp = measureFeatureRanges(plan, context.calibration)
  const states = plan.ops.map((_, index) => ({
    level: schedule.levels[index + 1],
    scale: schedule.scales[index + 1],
    maxAbs: afterOp[index],
  }))
  const problem = valuesFit(states, context.parameters, context.headroomMargin)
  if (problem !== undefined) {
    throw new PrivinferError('PLAN_INVALID', `features batch plan: ${problem}`)
  }
  return plan
}

/** max |register value| after every op of a feature plan over the calibration inputs (exactly). */
export function measureFeatureRanges(
  plan: FeaturePlan,
  calibration: ReadonlyArray<ArrayLike<number>>,
): number[] {
  const afterOp = new Array<number>(plan.ops.length).fill(0)
  // All calibration inputs in one batch: register i holds feature i of every input.
  const registers = Array.from({ length: plan.inputSize }, (_, i) =>
    Float64Array.from(calibration, (x) => x[i]),
  )
  executeFeaturePlan(plan, createExactFeatureBackend(plan), registers, {
    onOp(timing, values) {
      let max = 0
      for (const register of values) for (const v of register) max = Math.max(max, Math.abs(v))
      afterOp[timing.opIndex] = max
    },
  })
  return afterOp
}

function nominalPrimes(parameters: HeParameters): number[] {
  return parameters.coeffModulusBits.slice(0, -1).map((b) => 2 ** b)
}
