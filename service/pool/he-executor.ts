/**
 * What the HTTP edge asks of the HE side. The production implementation is `WorkerPool` (worker
 * threads, service/pool/worker-pool.ts); tests pass fakes. Every method runs its SEAL work off the
 * caller's thread.
 */
import type { EvaluationKeyBytes, StoredKeys } from '../keystore/key-store.ts'

export interface InferRequest {
  modelId: string
  /** Key id, used to find a loaded key set in a worker's cache. */
  keyId: string
  /** Expiry of the key set (ISO-8601): a cached key set is dropped after it. */
  keyExpiresAt: string
  /** SEAL-serialized input ciphertext. Its buffer may be transferred (detached) by the call. */
  input: Uint8Array
  /** Reads the keys from the store when no worker has them cached. */
  loadKeys: () => Promise<StoredKeys>
}

/** A batch query (core/card.ts BatchCard): the query's input ciphertexts, in order. */
export interface BatchInferRequest extends Omit<InferRequest, 'input'> {
  /** SEAL-serialized input ciphertexts. Their buffers may be transferred (detached) by the call. */
  inputs: Uint8Array[]
}

export interface HeExecutor {
  /**
   * Loads the keys under the model's parameters in a worker and checks them (parms_id, required
   * Galois steps, relinearization keys when needed), then frees them. Throws KEYS_* errors.
   * The key buffers may be transferred (detached) by the call.
   */
  validateKeys(modelId: string, keys: EvaluationKeyBytes): Promise<void>
  /** Validates the input ciphertext (CIPHERTEXT_* errors), runs the plan, returns the result ciphertext. */
  infer(request: InferRequest): Promise<Uint8Array>
  /**
   * Validates the batch query's ciphertexts (their number and the CIPHERTEXT_* checks), runs the
   * model's batch plan, returns the result ciphertexts in order.
   */
  inferBatch(request: BatchInferRequest): Promise<Uint8Array[]>
  /** Tasks waiting for a worker. */
  queueSize(): number
  /** Seconds the workers spent running tasks since start (all workers; metrics). */
  workerBusySeconds?(): number
  /** CPU seconds of the workers' threads on query tasks since start (metrics). */
  workerCpuSeconds?(): number
  /** Finishes queued work, then stops the workers. */
  close(): Promise<void>
}
