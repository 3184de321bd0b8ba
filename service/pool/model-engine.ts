/**
 * One served model inside a worker: its CKKS context, its loaded plan (plaintexts encoded once), and
 * the validated loading of a client's evaluation keys and input ciphertext. The only pool file that
 * knows the runtime's API.
 */
import type { ModelCard } from '../../core/card.ts'
import { createCkksContext } from '../../core/ckks/context.ts'
import type { SealModule } from '../../core/seal/load.ts'
import { loadCiphertext, saveCiphertext } from '../../core/wire/ciphertext.ts'
import { loadEvaluationKeys, type EvaluationKeys } from '../../core/he/evaluation-keys.ts'
import { loadPlan, runPlan } from '../runtime/index.ts'

/** A client's evaluation keys, loaded and validated under one model's context. */
export type LoadedKeys = EvaluationKeys

export interface ModelEngine {
  readonly modelId: string
  /**
   * Loads and validates keys under this model's parameters (required Galois steps present, relin keys
   * when the plan needs them). Throws KEYS_* errors. The caller owns the result.
   */
  loadKeys(galoisKeys: Uint8Array, relinKeys: Uint8Array | undefined): LoadedKeys
  /** Validates the input ciphertext (CIPHERTEXT_* errors), runs the plan, serializes the result. */
  infer(keys: LoadedKeys, input: Uint8Array): Uint8Array
  delete(): void
}

export async function createModelEngine(seal: SealModule, card: ModelCard, compiled: unknown): Promise<ModelEngine> {
  const ctx = createCkksContext(seal, {
    polyModulusDegree: card.he.polyModulusDegree,
    coeffModulusBits: card.he.coeffModulusBits,
    scaleBits: card.he.scaleBits,
  })
  const plan = loadPlan(ctx, compiled as Parameters<typeof loadPlan>[1])
  const { galoisSteps, needsRelinKeys, inputLevel } = card.he
  return {
    modelId: card.id,
    loadKeys(galoisBytes, relinBytes) {
      return loadEvaluationKeys(
        ctx,
        relinBytes === undefined ? { galoisKeys: galoisBytes } : { galoisKeys: galoisBytes, relinKeys: relinBytes },
        { galoisSteps, relin: needsRelinKeys },
      )
    },
    infer(keys, inputBytes) {
      const input = loadCiphertext(ctx, inputBytes, { level: inputLevel })
      let output
      try {
        output = runPlan(plan, { galoisKeys: keys.galoisKeys, relinKeys: keys.relinKeys }, input)
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
