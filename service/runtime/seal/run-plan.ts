/**
 * One encrypted query: input ciphertext in, output ciphertext out (server side), with per-layer
 * wall times. The input is not freed; the output is new and owned by the caller; every temporary is
 * freed (counted by the backend: `leaked` must be 0).
 */
import type { Ciphertext, GaloisKeys, RelinKeys } from '../../../core/seal/load.ts'
import { executePlan, type OpTiming } from '../../compiler/plan/execute-plan.ts'
import type { LoadedPlan } from './load-plan.ts'
import { createSealBackend } from './seal-backend.ts'

export interface RunResult {
  output: Ciphertext
  /** Milliseconds by layer name (sum of its ops), in plan order. */
  layerMs: Record<string, number>
  totalMs: number
  /** Ciphertexts created during the run and still alive besides the output (0 unless a bug). */
  leaked: number
}

export function runPlan(
  loaded: LoadedPlan,
  keys: { galoisKeys: GaloisKeys; relinKeys?: RelinKeys },
  input: Ciphertext,
  options: { onOp?: (timing: OpTiming) => void } = {},
): RunResult {
  const backend = createSealBackend(loaded, keys)
  const layerMs: Record<string, number> = {}
  const started = performance.now()
  const output = executePlan(loaded.plan, backend, input, {
    onOp(timing) {
      layerMs[timing.layer] = (layerMs[timing.layer] ?? 0) + timing.ms
      options.onOp?.(timing)
    },
  })
  const totalMs = performance.now() - started
  if (loaded.schedule.outputLevel !== loaded.ctx.levelOf(output)) {
    output.delete()
    throw new Error(
      `output at level ${loaded.ctx.levelOf(output)}, schedule says ${loaded.schedule.outputLevel}`,
    )
  }
  return { output, layerMs, totalMs, leaked: backend.live - 1 }
}
