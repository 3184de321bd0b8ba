/**
 * Client and server in one process (CLI infer/evaluate/bench, tests): a CKKS context for the
 * compiled parameters, client keys with exactly the card's Galois steps, the loaded plan, and
 * helpers for one encrypted query. A model compiled with noise flooding also gets the client's
 * public key, and each result is flooded (flood-noise.ts) as the service does. Bytes cross the same wire functions the service uses
 * (serialize with seed compression + zstd, validated load), so sizes are the sizes as sent.
 */
import { loadSeal } from '../../../core/seal/load.ts'
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

export interface QueryResult {
  outputs: Float64Array
  serverMs: number
  layerMs: Record<string, number>
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
  delete(): void
}

export async function createLocalRoundTrip(compiled: CompiledModel): Promise<LocalRoundTrip> {
  const seal = await loadSeal()
  const ctx = createCkksContext(seal, compiled.parameters)
  let loaded: LoadedPlan | undefined
  let clientKeys: ClientKeys | undefined
  try {
    loaded = loadPlan(ctx, compiled)
    clientKeys = createClientKeys(ctx, {
      galoisSteps: compiled.galoisSteps,
      relin: compiled.plan.needsRelinKeys,
      publicKey: compiled.flooding !== undefined,
    })
    const bundle = clientKeys.evaluationKeyBundle()
    const evaluationKeys = loadEvaluationKeys(ctx, bundle, {
      galoisSteps: compiled.galoisSteps,
      relin: compiled.plan.needsRelinKeys,
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
      delete() {
        evaluationKeys.delete()
        keys.delete()
        plan.delete()
        ctx.delete()
      },
    }
  } catch (error) {
    clientKeys?.delete()
    loaded?.delete()
    ctx.delete()
    throw error
  }
}
