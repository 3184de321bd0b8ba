/**
 * One served model inside a worker: its CKKS context, its loaded plan (plaintexts encoded once,
 * service/runtime), and the validated loading of a client's evaluation keys and input ciphertext.
 * The only pool file that knows the runtime's API.
 */
import type { ModelCard } from '../../core/card.ts'
import { createCkksContext } from '../../core/ckks/context.ts'
import { loadEvaluationKeys, type EvaluationKeys } from '../../core/he/evaluation-keys.ts'
import type { Ciphertext, SealModule } from '../../core/seal/load.ts'
import { loadCiphertext, saveCiphertext } from '../../core/wire/ciphertext.ts'
import { galoisKeysBytes, publicKeyBytes, relinKeysBytes } from '../../core/wire/sizes.ts'
import type { CompiledModel } from '../compiler/compile.ts'
import { loadPlan } from '../runtime/seal/load-plan.ts'
import { runPlan } from '../runtime/seal/run-plan.ts'
import { floodCiphertext } from '../runtime/seal/flood-noise.ts'
import { loadBatchPlan, runBatchPlan } from '../runtime/seal/run-batch-plan.ts'
import { PrivinferError } from '../../core/errors.ts'

/** A client's evaluation keys, loaded and validated under one model's context. */
export type LoadedKeys = EvaluationKeys

export interface ModelEngine {
  readonly modelId: string
  /**
   * Loads and validates keys under this model's parameters (every required Galois step present,
   * relinearization keys when the plan needs them, the public key when the model floods its results).
   * Throws KEYS_* errors. The caller owns the result.
   */
  loadKeys(
    galoisKeys: Uint8Array,
    relinKeys: Uint8Array | undefined,
    publicKey?: Uint8Array,
  ): LoadedKeys
  /**
   * Bytes a loaded key set occupies in WebAssembly memory: its key-switching keys in full (a
   * seed-compressed upload is expanded when loaded), as core/wire/sizes.ts counts them.
   */
  loadedKeyBytes(keys: LoadedKeys): number
  /**
   * Validates the input ciphertext (CIPHERTEXT_* errors: parameters, level, scale, size, transparent),
   * runs the plan, floods the result when the model says so (compiled.flooding), and serializes
   * it (zstd).
   */
  infer(keys: LoadedKeys, input: Uint8Array): Uint8Array
  /**
   * A batch query on the model's batch plan: checks the number of ciphertexts (BATCH_LAYOUT_MISMATCH)
   * and each one (CIPHERTEXT_*), runs the plan, serializes the results (zstd) in order.
   */
  inferBatch(keys: LoadedKeys, inputs: readonly Uint8Array[]): Uint8Array[]
  /** Parts of a split query (0 without a split plan). */
  readonly splitParts: number
  /**
   * Part `part` of a split query on the input (validated as for infer); the part's output,
   * serialized uncompressed (it only crosses to another worker, for mergeParts).
   */
  inferPart(keys: LoadedKeys, part: number, input: Uint8Array): Uint8Array
  /** The sum of the parts' outputs (each validated at the output level), serialized (zstd). */
  mergeParts(outputs: readonly Uint8Array[]): Uint8Array
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
  const batchPlan = loadBatchPlan(ctx, compiled)
  const parts = (compiled.split?.parts ?? []).map((part) =>
    loadPlan(ctx, { ...compiled, plan: part }),
  )
  const batchInputs = compiled.batch?.packing === 'features' ? compiled.batch.plan.inputSize : 1
  const flooding = compiled.flooding
  const requirements = {
    galoisSteps: card.he.galoisSteps,
    relin: card.he.needsRelinKeys,
    publicKey: flooding !== undefined,
  }
  return {
    modelId: card.id,
    loadKeys(galoisBytes, relinBytes, publicBytes) {
      return loadEvaluationKeys(
        ctx,
        {
          galoisKeys: galoisBytes,
          ...(relinBytes === undefined ? {} : { relinKeys: relinBytes }),
          ...(publicBytes === undefined ? {} : { publicKey: publicBytes }),
        },
        requirements,
      )
    },
    loadedKeyBytes(keys) {
      const params = compiled.parameters
      return (
        galoisKeysBytes(params, keys.galoisKeys.size()) +
        (keys.relinKeys ? relinKeysBytes(params) : 0) +
        (keys.publicKey ? publicKeyBytes(params) : 0)
      )
    },
    infer(keys, inputBytes) {
      const input = loadCiphertext(ctx, inputBytes, {
        level: plan.inputLevel,
        scale: plan.inputScale,
      })
      let output: Ciphertext | undefined
      try {
        output = runPlan(plan, keys, input).output
        if (flooding) {
          if (!keys.publicKey) throw new Error('flooding model keys loaded without a public key')
          floodCiphertext(ctx, output, keys.publicKey, flooding.floodBits)
        }
      } catch (error) {
        output?.delete()
        throw error
      } finally {
        input.delete()
      }
      try {
        return saveCiphertext(ctx, output, 'zstd')
      } finally {
        output.delete()
      }
    },
    inferBatch(keys, inputBytes) {
      if (batchPlan === undefined) {
        throw new PrivinferError('BATCH_LAYOUT_MISMATCH', `model '${card.id}' has no batch plan`)
      }
      if (inputBytes.length !== batchInputs) {
        throw new PrivinferError(
          'BATCH_LAYOUT_MISMATCH',
          `a batch query of this model has ${batchInputs} input ciphertexts, got ${inputBytes.length}`,
          { got: inputBytes.length, expected: batchInputs },
        )
      }
      const inputs: Ciphertext[] = []
      try {
        for (const bytes of inputBytes) {
          inputs.push(
            loadCiphertext(ctx, bytes, {
              level: batchPlan.inputLevel,
              scale: batchPlan.inputScale,
            }),
          )
        }
        const { outputs } = runBatchPlan(ctx, batchPlan, keys, inputs)
        try {
          return outputs.map((output) => saveCiphertext(ctx, output, 'zstd'))
        } finally {
          for (const output of outputs) output.delete()
        }
      } finally {
        for (const input of inputs) input.delete()
      }
    },
    splitParts: parts.length,
    inferPart(keys, part, inputBytes) {
      const loaded = parts[part]
      if (loaded === undefined) throw new Error(`model '${card.id}' has no split part ${part}`)
      const input = loadCiphertext(ctx, inputBytes, {
        level: loaded.inputLevel,
        scale: loaded.inputScale,
      })
      let output
      try {
        output = runPlan(loaded, keys, input).output
      } finally {
        input.delete()
      }
      try {
        return saveCiphertext(ctx, output, 'none')
      } finally {
        output.delete()
      }
    },
    mergeParts(outputBytes) {
      const level = plan.outputLevel
      const outputs: Ciphertext[] = []
      try {
        for (const bytes of outputBytes)
          outputs.push(loadCiphertext(ctx, bytes, { level, scale: plan.outputScale }))
        for (let i = 1; i < outputs.length; i++) ctx.evaluator.addInplace(outputs[0], outputs[i])
        return saveCiphertext(ctx, outputs[0], 'zstd')
      } finally {
        for (const output of outputs) output.delete()
      }
    },
    delete() {
      for (const part of parts) part.delete()
      batchPlan?.delete()
      plan.delete()
      ctx.delete()
    },
  }
}
