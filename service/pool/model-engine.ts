/**
 * One served model inside a worker: its CKKS context, its loaded plan (plaintexts encoded once), and
 * the validated loading of a client's evaluation keys and input ciphertext. The only pool file that
 * knows the runtime's API.
 */
import type { ModelCard } from '../../core/card.ts'
import { createCkksContext } from '../../core/ckks/context.ts'
import type { GaloisKeys, RelinKeys, SealModule } from '../../core/seal/load.ts'
import { loadCiphertext, saveCiphertext } from '../../core/wire/ciphertext.ts'
import { loadGaloisKeys, loadRelinKeys } from '../../core/wire/keys.ts'
import { PrivinferError } from '../../core/errors.ts'
import { loadPlan, runPlan } from '../runtime/index.ts'

/** A client's evaluation keys, loaded and validated under one model's context. */
export interface LoadedKeys {
  readonly galoisKeys: GaloisKeys
  readonly relinKeys: RelinKeys | undefined
  delete(): void
}

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
      if (needsRelinKeys && relinBytes === undefined) {
        throw new PrivinferError('FIELD_MISSING', 'this model needs relinearization keys', { field: 'relinKeys' })
      }
      const galoisKeys = galoisSteps.length > 0 || galoisBytes.byteLength > 0 ? loadGaloisKeys(ctx, galoisBytes, galoisSteps) : undefined
      let relinKeys: RelinKeys | undefined
      try {
        relinKeys = needsRelinKeys && relinBytes ? loadRelinKeys(ctx, relinBytes) : undefined
      } catch (error) {
        galoisKeys?.delete()
        throw error
      }
      const emptyGalois = galoisKeys ?? new ctx.seal.GaloisKeys()
      return {
        galoisKeys: emptyGalois,
        relinKeys,
        delete() {
          emptyGalois.delete()
          relinKeys?.delete()
        },
      }
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
