/**
 * Messages between the HTTP thread and the pool's worker threads (structured-cloned; byte arrays are
 * transferred). Errors cross the thread boundary as data ({code, message, details}) because a
 * cloned Error loses its class and code.
 */
import type { ModelCard } from '../../core/card.ts'
import type { ErrorCode } from '../../core/errors.ts'

/** What each worker is started with (workerData). */
export interface WorkerStartData {
  models: Array<{ card: ModelCard; compiled: unknown }>
  /** Bytes of loaded key sets a worker keeps (LRU). */
  keyCacheBytes: number
}

export type WorkerTask =
  | { kind: 'warmup' }
  | {
      kind: 'validate-keys'
      modelId: string
      galoisKeys: Uint8Array
      relinKeys?: Uint8Array
      publicKey?: Uint8Array
    }
  | {
      kind: 'infer'
      modelId: string
      keyId: string
      /** Expiry of the key set, milliseconds since the epoch. */
      keyExpiresAtMs: number
      input: Uint8Array
      /** Present on the second attempt, after the worker answered 'need-keys'. */
      keys?: { galoisKeys: Uint8Array; relinKeys?: Uint8Array; publicKey?: Uint8Array }
    }
  | BatchInferTask
  | PartInferTask
  | MergeTask

/** Fields shared by the query tasks. */
interface QueryTask {
  modelId: string
  keyId: string
  /** Expiry of the key set, milliseconds since the epoch. */
  keyExpiresAtMs: number
  /** Present on the second attempt, after the worker answered 'need-keys'. */
  keys?: { galoisKeys: Uint8Array; relinKeys?: Uint8Array; publicKey?: Uint8Array }
}

/** A batch query on the model's batch plan: its input ciphertexts in order. */
export interface BatchInferTask extends QueryTask {
  kind: 'infer-batch'
  inputs: Uint8Array[]
}

/** One part of a split query (CompiledModel.split): the part's output, uncompressed. */
export interface PartInferTask extends QueryTask {
  kind: 'infer-part'
  part: number
  input: Uint8Array
}

/** Adds the parts' outputs of a split query (any worker; no keys needed). */
export interface MergeTask {
  kind: 'merge'
  modelId: string
  outputs: Uint8Array[]
}

export interface WorkerFailure {
  kind: 'error'
  code: ErrorCode
  message: string
  details: Record<string, unknown>
}

export type WorkerResult =
  | { kind: 'ready'; threadId: number; models: string[] }
  | { kind: 'valid' }
  | { kind: 'need-keys' }
  | { kind: 'output'; output: Uint8Array; ms: number; cpuMs: number }
  | { kind: 'outputs'; outputs: Uint8Array[]; ms: number; cpuMs: number }
  | WorkerFailure
