/**
 * One served model inside a worker: its CKKS context, its loaded plan (plaintexts encoded once,
 * service/runtime), and the validated loading of a client's evaluation keys and input ciphertext.
 * The only pool file that knows the runtime's API.
 */
import type { ModelCard } from '../../core/card.ts'
import { createCkksContext } from '../../core/ckks/context.ts'
import { loadEvaluationKeys, type EvaluationKeys } from '../../core/he/evaluation-keys.ts'
import type { SealModule } from '../../core/seal/load.ts'
import { loadCiphertext, saveCiphertext } from '../../core/wire/ciphertext.ts'
import { galoisKeysBytes, relinKeysBytes } from '../../core/wire/sizes.ts'
import type { CompiledModel } from '../compiler/compile.ts'
import { loadPlan } from '../runtime/seal/load-plan.ts'
import { runPlan } from '../runtime/seal/run-plan.ts'

/** A client's evaluation keys, loaded and validated under one model's context. */
export type LoadedKeys = EvaluationKeys

export interface ModelEngine {
  readonly modelId: string
  /**
   * Loads and validates keys under this model's parameters (every required Galois step present,
   * relinearization keys when the plan needs them). Throws KEYS_* errors. The caller owns the result.
   */
  loadKeys(galoisKeys: Uint8Array, relinKeys: Uint8Array | undefined): LoadedKeys
  /**
   * Bytes a loaded key set occupies in WebAssembly memory: its key-switching keys in full (a
   * seed-compressed upload is expanded when loaded), as core/wire/sizes.ts counts them.
   */
  loadedKeyBytes(keys: LoadedKeys): number
  /**
   * Validates the input ciphertext (CIPHERTEXT_* errors: parameters, level, scale, size, transparent),
   * runs the plan, and serializes the result (zstd).
   */
  infer(keys: LoadedKeys, input: Uint8Array): Uint8Array
  delete(): void
}

export async function createModelEngine(
  seal: SealModule,
  card: ModelCard,
  compiledData: unknown,
): Promise<ModelEngine> {
  const compiled = compiledData as CompiledModel
  const ctx = createCkksContext(seal, compiled.parameters)
  const plan = loadPlan(ctx, compiled)
  const requirements = { galoisSteps: card.he.galoisSteps, relin: card.he.needsRelinKeys }
  return {
    modelId: card.id,
    loadKeys(galoisBytes, relinBytes) {
      return loadEvaluationKeys(
        ctx,
        relinBytes === undefined
          ? { galoisKeys: galoisBytes }
          : { galoisKeys: galoisBytes, relinKeys: relinBytes },
        requirements,
      )
    },
    loadedKeyBytes(keys) {
      const params = compiled.parameters
      return (
        galoisKeysBytes(params, keys.galoisKeys.size()) +
        (keys.relinKeys ? relinKeysBytes(params) : 0)
      )
    },
    infer(keys, inputBytes) {
      const input = loadCiphertext(ctx, inputBytes, {
        level: plan.inputLevel,
        scale: plan.inputScale,
      })
      let output
      try {
        output = runPlan(plan, keys, input).output
      } finally {
        input.delete()
      }
      try {
        return saveCiphertext(ctx, output, 'zstd')
      } finally {
        output.delete()
      }
    },
    delete() {
      plan.delete()
      ctx.delete()
    },
  }
}
