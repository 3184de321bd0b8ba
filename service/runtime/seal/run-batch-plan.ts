/**
 * One encrypted batch query (server side) on a compiled model's batch plan: lanes run the expanded
 * single-input plan (run-plan.ts) on one ciphertext; features run the FeaturePlan on one ciphertext
 * per input feature. Inputs are not freed; outputs are new and owned by the caller.
 */
import type { CkksContext } from '../../../core/ckks/context.ts'
import type { Ciphertext, GaloisKeys, RelinKeys } from '../../../core/seal/load.ts'
import type { CompiledModel } from '../../compiler/compile.ts'
import {
  scheduleFeatureScales,
  type FeatureSchedule,
} from '../../compiler/batch/feature-schedule.ts'
import { executeFeaturePlan } from '../../compiler/plan/execute-feature-plan.ts'
import type { FeaturePlan } from '../../compiler/plan/feature-plan.ts'
import { createSealFeatureBackend, type LinearMapMethod } from './feature-backend.ts'
import { loadPlan, type LoadedPlan } from './load-plan.ts'
import { runPlan } from './run-plan.ts'

export type LoadedBatchPlan =
  | { packing: 'lanes'; loaded: LoadedPlan; inputLevel: number; inputScale: number; delete(): void }
  | {
      packing: 'features'
      plan: FeaturePlan
      schedule: FeatureSchedule
      inputLevel: number
      inputScale: number
      outputLevel: number
      outputScale: number
      delete(): void
    }

/** Prepares the batch plan of `compiled` (lanes: its plaintexts encoded once), or undefined. */
export function loadBatchPlan(
  ctx: CkksContext,
  compiled: CompiledModel,
): LoadedBatchPlan | undefined {
  const batch = compiled.batch
  if (batch === undefined) return undefined
  const inputScale = 2 ** compiled.parameters.scaleBits
  if (batch.packing === 'lanes') {
    const loaded = loadPlan(ctx, { ...compiled, plan: batch.plan })
    return {
      packing: 'lanes',
      loaded,
      inputLevel: loaded.inputLevel,
      inputScale,
      delete: () => loaded.delete(),
    }
  }
  const schedule = scheduleFeatureScales(batch.plan, compiled.parameters, ctx.primes)
  return {
    packing: 'features',
    plan: batch.plan,
    schedule,
    inputLevel: batch.plan.depth,
    inputScale,
    outputLevel: schedule.outputLevel,
    outputScale: schedule.outputScale,
    delete() {},
  }
}

export interface BatchRunResult {
  outputs: Ciphertext[]
  layerMs: Record<string, number>
  totalMs: number
  /** Ciphertexts still alive besides the outputs (0 unless a bug). */
  leaked: number
}

export function runBatchPlan(
  ctx: CkksContext,
  loaded: LoadedBatchPlan,
  keys: { galoisKeys?: GaloisKeys; relinKeys?: RelinKeys },
  inputs: readonly Ciphertext[],
  options: { linearMap?: LinearMapMethod } = {},
): BatchRunResult {
  if (loaded.packing === 'lanes') {
    if (keys.galoisKeys === undefined) throw new Error('a lanes batch plan needs Galois keys')
    const result = runPlan(
      loaded.loaded,
      { galoisKeys: keys.galoisKeys, relinKeys: keys.relinKeys },
      inputs[0],
    )
    return {
      outputs: [result.output],
      layerMs: result.layerMs,
      totalMs: result.totalMs,
      leaked: result.leaked,
    }
  }
  const backend = createSealFeatureBackend(
    ctx,
    loaded.plan,
    loaded.schedule,
    keys,
    options.linearMap,
  )
  const layerMs: Record<string, number> = {}
  const started = performance.now()
  try {
    const outputs = executeFeaturePlan(loaded.plan, backend, inputs, {
      onOp(timing) {
        layerMs[timing.layer] = (layerMs[timing.layer] ?? 0) + timing.ms
      },
    })
    return {
      outputs,
      layerMs,
      totalMs: performance.now() - started,
      leaked: backend.live - outputs.length,
    }
  } finally {
    backend.delete()
  }
}
