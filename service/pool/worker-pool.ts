/**
 * The worker-thread pool (piscina) implementing HeExecutor. Byte arrays go to the workers as
 * transferred ArrayBuffers (no copy); results come back the same way (Piscina.move).
 *
 * Key sets are cached per worker; a worker without the key set answers 'need-keys' and the task is
 * sent again with the keys read from the key store, so the store stays pluggable and the keys cross
 * to a worker only on a cache miss.
 */
import { fileURLToPath } from 'node:url'
import { Piscina } from 'piscina'
import { PrivinferError } from '../../core/errors.ts'
import type { ModelCard } from '../../core/card.ts'
import type { EvaluationKeyBytes } from '../keystore/key-store.ts'
import type { HeExecutor, InferRequest } from './he-executor.ts'
import type { WorkerResult, WorkerStartData, WorkerTask } from './messages.ts'

export interface WorkerPoolOptions {
  models: Array<{ card: ModelCard; compiled: unknown }>
  /** Worker threads (>= 1). */
  workers: number
  /** Tasks allowed to wait for a worker; beyond it, OVERLOADED. */
  maxQueue: number
  /** Bytes of loaded key sets each worker keeps (KEY_CACHE_BYTES). */
  keyCacheBytes: number
}

const WORKER_FILE = fileURLToPath(new URL('./worker.ts', import.meta.url))

export class WorkerPool implements HeExecutor {
  readonly #pool: Piscina<WorkerTask, WorkerResult>
  /** Tasks admitted at once: one running per worker plus maxQueue waiting. */
  readonly #capacity: number
  /** Tasks admitted and not yet settled (running or queued). */
  #inFlight = 0
  #closing = false

  private constructor(pool: Piscina<WorkerTask, WorkerResult>, capacity: number) {
    this.#pool = pool
    this.#capacity = capacity
  }

  /**
   * Starts the workers and resolves once each has loaded SEAL and the plans (one warm-up task per
   * worker). Rejects when a worker fails to start (e.g. a plan that does not load).
   */
  static async start(options: WorkerPoolOptions): Promise<WorkerPool> {
    const workerData: WorkerStartData = {
      models: options.models,
      keyCacheBytes: options.keyCacheBytes,
    }
    const pool = new Piscina<WorkerTask, WorkerResult>({
      filename: WORKER_FILE,
      minThreads: options.workers,
      maxThreads: options.workers,
      concurrentTasksPerWorker: 1,
      // piscina's own bound is a backstop; #submit answers OVERLOADED before it is reached.
      maxQueue: options.maxQueue + options.workers,
      idleTimeout: 2 ** 31 - 1,
      workerData,
    })
    const executor = new WorkerPool(pool, options.workers + options.maxQueue)
    try {
      const warm = await Promise.all(
        Array.from({ length: options.workers }, () => pool.run({ kind: 'warmup' })),
      )
      if (warm.some((result) => result.kind !== 'ready')) throw new Error('a worker did not start')
    } catch (error) {
      await pool.destroy()
      throw error
    }
    return executor
  }

  /** Worker threads running. */
  get threads(): number {
    return this.#pool.threads.length
  }

  queueSize(): number {
    return this.#pool.queueSize
  }

  async validateKeys(modelId: string, keys: EvaluationKeyBytes): Promise<void> {
    const transfer = [keys.galoisKeys.buffer, ...(keys.relinKeys ? [keys.relinKeys.buffer] : [])]
    const result = await this.#submit(
      {
        kind: 'validate-keys',
        modelId,
        galoisKeys: keys.galoisKeys,
        ...(keys.relinKeys ? { relinKeys: keys.relinKeys } : {}),
      },
      transfer,
    )
    if (result.kind !== 'valid') throw unexpected(result)
  }

  async infer(request: InferRequest): Promise<Uint8Array> {
    const keyExpiresAtMs = Date.parse(request.keyExpiresAt)
    // The input is needed twice on a cache miss: the first attempt transfers a copy (a memcpy of a
    // few hundred KB), the retry transfers the original.
    const inputCopy = request.input.slice()
    const first = await this.#submit(
      {
        kind: 'infer',
        modelId: request.modelId,
        keyId: request.keyId,
        keyExpiresAtMs,
        input: inputCopy,
      },
      [inputCopy.buffer],
      true,
    )
    let result = first
    if (first.kind === 'need-keys') {
      const stored = await request.loadKeys()
      const keys = stored.keys
      result = await this.#submit(
        {
          kind: 'infer',
          modelId: request.modelId,
          keyId: request.keyId,
          keyExpiresAtMs,
          input: request.input,
          keys,
        },
        [
          request.input.buffer,
          keys.galoisKeys.buffer,
          ...(keys.relinKeys ? [keys.relinKeys.buffer] : []),
        ],
      )
    }
    if (result.kind !== 'output') throw unexpected(result)
    return result.output
  }

  /** Stops accepting work, lets queued tasks finish, then terminates the workers. */
  async close(): Promise<void> {
    if (this.#closing) return
    this.#closing = true
    await this.#pool.close()
  }

  async #submit(
    task: WorkerTask,
    transferList: ArrayBufferLike[],
    firstAttempt = false,
  ): Promise<WorkerResult> {
    if (this.#closing) throw new PrivinferError('NOT_READY', 'the service is shutting down')
    // A retry after 'need-keys' skips the queue bound: its first attempt was already admitted.
    if ((firstAttempt || task.kind !== 'infer') && this.#inFlight >= this.#capacity) {
      throw new PrivinferError(
        'OVERLOADED',
        `${this.#pool.queueSize} HE tasks are waiting; retry later`,
        {
          queued: this.#pool.queueSize,
        },
      )
    }
    let result: WorkerResult
    this.#inFlight++
    try {
      result = await this.#pool.run(task, { transferList: transferList as ArrayBuffer[] })
    } catch (error) {
      const message = (error as Error)?.message ?? ''
      if (
        message.includes('Task queue is at limit') ||
        message.includes('No task queue available')
      ) {
        throw new PrivinferError('OVERLOADED', 'HE task queue full; retry later')
      }
      throw error
    } finally {
      this.#inFlight--
    }
    if (result.kind === 'error')
      throw new PrivinferError(result.code, result.message, result.details)
    return result
  }
}

function unexpected(result: WorkerResult): Error {
  return new Error(`unexpected worker result '${result.kind}'`)
}
