/**
 * Client and server in one process (CLI infer/evaluate/bench, tests): a CKKS context for the
 * compiled parameters, client keys with exactly the card's Galois steps, the loaded plan, and
 * helpers for one encrypted query. A model compiled with noise flooding also gets the client's
 * public key, and each result is flooded (flood-noise.ts) as the service does. Bytes cross the same wire functions the service uses
 * (serialize with seed compression + zstd, validated load), so sizes are the sizes as sent.
 */
import { loadSeal } from '../../../core/seal/load.ts'
import { PrivinferError } from '../../../core/errors.ts'
import { createCkksContext, type CkksContext } from '../../../core/ckks/context.ts'
import { createClientKeys, type ClientKeys } from '../../../core/he/client-keys.ts'
import { encryptInput } from '../../../core/he/encrypt-input.ts'
import { decryptOutput } from '../../../core/he/decrypt-output.ts'
import { loadEvaluationKeys, type EvaluationKeys } from '../../../core/he/evaluation-keys.ts'
import { loadCiphertext, saveCiphertext } from '../../../core/wire/ciphertext.ts'
import { floodCiphertext } from './flood-noise.ts'
import type { CompiledModel } from '../../compiler/compile.ts'
import { loadPlan, type LoadedPlan } from './load-plan.ts'
import { runPlan } from './run-plan.ts'
import type { BatchCard } from '../../../core/card.ts'
import { decryptBatch, encryptBatch } from '../../../core/he/encrypt-batch.ts'
import { batchCardOf } from '../../compiler/batch/batch-card.ts'
import { loadBatchPlan, runBatchPlan, type LoadedBatchPlan } from './run-batch-plan.ts'

export interface QueryResult {
  outputs: Float64Array
  serverMs: number
  layerMs: Record<string, number>
  inputBytes: number
  outputBytes: number
}

export interface BatchQueryResult {
  /** One output vector per input, in order. */
  outputs: Float64Array[]
  serverMs: number
  layerMs: Record<string, number>
  /** Client time: packing + encryption + serialization, and validated load + decryption. */
  encryptMs: number
  decryptMs: number
  /** Bytes of all input / output ciphertexts of the query, as sent. */
  inputBytes: number
  outputBytes: number
}

export interface LocalRoundTrip {
  readonly ctx: CkksContext
  readonly loaded: LoadedPlan
  readonly clientKeys: ClientKeys
  readonly evaluationKeys: EvaluationKeys
  readonly galoisKeyBytes: number
  readonly relinKeyBytes: number
  /** Bytes of the public key as sent (models compiled with noise flooding only; else 0). */
  readonly publicKeyBytes: number
  /** Encrypt → (bytes) → validated load → plan → (bytes) → decrypt. */
  query(x: ArrayLike<number>): QueryResult
  /** The model's batch plan as the card describes it (undefined without one). */
  readonly batch: BatchCard | undefined
  /** One batch query of 1..maxBatch inputs (encrypt → bytes → validated load → plan → decrypt). */
  queryBatch(inputs: ReadonlyArray<ArrayLike<number>>): BatchQueryResult
  delete(): void
}

export async function createLocalRoundTrip(compiled: CompiledModel): Promise<LocalRoundTrip> {
  const seal = await loadSeal()
  const ctx = createCkksContext(seal, compiled.parameters)
  let loaded: LoadedPlan | undefined
  let loadedBatch: LoadedBatchPlan | undefined
  let clientKeys: ClientKeys | undefined
  try {
    loaded = loadPlan(ctx, compiled)
    loadedBatch = loadBatchPlan(ctx, compiled)
    const batchPlan = loadedBatch
    const batch = batchCardOf(compiled)
    clientKeys = createClientKeys(ctx, {
      galoisSteps: compiled.galoisSteps,
      relin: compiled.plan.needsRelinKeys || batch?.packing === 'features',
      publicKey: compiled.flooding !== undefined,
    })
    const bundle = clientKeys.evaluationKeyBundle()
    const evaluationKeys = loadEvaluationKeys(ctx, bundle, {
      galoisSteps: compiled.galoisSteps,
      relin: compiled.plan.needsRelinKeys || batch?.packing === 'features',
      publicKey: compiled.flooding !== undefined,
    })
    const publicKeyBytes = bundle.publicKey
    const publicKey = evaluationKeys.publicKey
    const plan = loaded
    const keys = clientKeys
    const flooding =
      compiled.flooding && publicKey ? { ...compiled.flooding, publicKey } : undefined
    return {
      ctx,
      loaded: plan,
      clientKeys: keys,
      evaluationKeys,
      galoisKeyBytes: bundle.galoisKeys.length,
      relinKeyBytes: bundle.relinKeys?.length ?? 0,
      publicKeyBytes: publicKeyBytes?.length ?? 0,
      query(x) {
        const inputBytes = encryptInput(ctx, keys, compiled.inputLayout, x, {
          level: plan.inputLevel,
        })
        const input = loadCiphertext(ctx, inputBytes, {
          level: plan.inputLevel,
          scale: plan.inputScale,
        })
        let outputBytes: Uint8Array
        let serverMs: number
        let layerMs: Record<string, number>
        try {
          const result = runPlan(plan, evaluationKeys, input)
          if (flooding) {
            const started = performance.now()
            floodCiphertext(ctx, result.output, flooding.publicKey, flooding.floodBits)
            result.totalMs += performance.now() - started
          }
          serverMs = result.totalMs
          layerMs = result.layerMs
          try {
            outputBytes = saveCiphertext(ctx, result.output, 'zstd')
          } finally {
            result.output.delete()
          }
        } finally {
          input.delete()
        }
        const outputs = decryptOutput(ctx, keys, outputBytes, compiled.outputLayout, {
          level: plan.outputLevel,
          scale: plan.outputScale,
        })
        return {
          outputs,
          serverMs,
          layerMs,
          inputBytes: inputBytes.length,
          outputBytes: outputBytes.length,
        }
      },
      batch,
      queryBatch(inputs) {
        if (batch === undefined || batchPlan === undefined) {
          throw new PrivinferError(
            'BAD_REQUEST',
            'this model has no batch plan (import it with --batch K)',
          )
        }
        let started = performance.now()
        const inputBytes = encryptBatch(ctx, keys, batch, inputs)
        const encryptMs = performance.now() - started
        const ciphertexts = []
        let outputBytes: Uint8Array[] = []
        let serverMs: number
        let layerMs: Record<string, number>
        try {
          for (const bytes of inputBytes) {
            ciphertexts.push(
              loadCiphertext(ctx, bytes, {
                level: batchPlan.inputLevel,
                scale: batchPlan.inputScale,
              }),
            )
          }
          const result = runBatchPlan(ctx, batchPlan, evaluationKeys, ciphertexts)
          serverMs = result.totalMs
          layerMs = result.layerMs
          try {
            outputBytes = result.outputs.map((output) => saveCiphertext(ctx, output, 'zstd'))
          } finally {
            for (const output of result.outputs) output.delete()
          }
        } finally {
          for (const ciphertext of ciphertexts) ciphertext.delete()
        }
        started = performance.now()
        const outputs = decryptBatch(ctx, keys, batch, outputBytes, inputs.length)
        return {
          outputs,
          serverMs,
          layerMs,
          encryptMs,
          decryptMs: performance.now() - started,
          inputBytes: inputBytes.reduce((sum, bytes) => sum + bytes.length, 0),
          outputBytes: outputBytes.reduce((sum, bytes) => sum + bytes.length, 0),
        }
      },
      delete() {
        evaluationKeys.delete()
        keys.delete()
        batchPlan?.delete()
        plan.delete()
        ctx.delete()
      },
    }
  } catch (error) {
    clientKeys?.delete()
    loadedBatch?.delete()
    loaded?.delete()
    ctx.delete()
    throw error
  }
}
