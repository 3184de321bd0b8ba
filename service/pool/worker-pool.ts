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
import type { BatchInferRequest, HeExecutor, InferRequest } from './he-executor.ts'
import type { WorkerResult, WorkerStartData, WorkerTask } from './messages.ts'

export interface WorkerPoolOptions {
  models: Array<{ card: ModelCard; compiled: unknown }>
  /** Worker threads (>= 1). */
  workers: number
  /** Tasks allowed to wait for a worker; beyond it, OVERLOADED. */
  maxQueue: number
  /** Bytes of loaded key sets each worker keeps (KEY_CACHE_BYTES). */
  keyCacheBytes: number
  /**
   * Split a single query of a model with a split plan across idle workers (default true): when at
   * least as many workers as parts are idle, the parts run side by side and are merged.
   */
  splitQueries?: boolean
}

const WORKER_FILE = fileURLToPath(new URL('./worker.ts', import.meta.url))

export class WorkerPool implements HeExecutor {
  readonly #pool: Piscina<WorkerTask, WorkerResult>
  /** Tasks admitted at once: one running per worker plus maxQueue waiting. */
  readonly #capacity: number
  /** Tasks admitted and not yet settled (running or queued). */
  #inFlight = 0
  #closing = false
  readonly #workers: number
  /** Parts of each model's split plan (models without one are absent). */
  readonly #splitParts: ReadonlyMap<string, number>
  /** Single queries answered by a split (for tests and metrics). */
  splitQueries = 0
  #busyMs = 0
  #cpuMs = 0

  private constructor(
    pool: Piscina<WorkerTask, WorkerResult>,
    capacity: number,
    workers: number,
    splitParts: ReadonlyMap<string, number>,
  ) {
    this.#pool = pool
    this.#capacity = capacity
    this.#workers = workers
    this.#splitParts = splitParts
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
    const splitParts = new Map<string, number>()
    if (options.splitQueries ?? true) {
      for (const model of options.models) {
        const parts = (model.compiled as { split?: { parts: unknown[] } }).split?.parts.length ?? 0
        if (parts >= 2) splitParts.set(model.card.id, parts)
      }
    }
    const executor = new WorkerPool(
      pool,
      options.workers + options.maxQueue,
      options.workers,
      splitParts,
    )
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

  workerBusySeconds(): number {
    return this.#busyMs / 1000
  }

  /** CPU time of the worker threads on query tasks, seconds (busy time minus being descheduled). */
  workerCpuSeconds(): number {
    return this.#cpuMs / 1000
  }

  async validateKeys(modelId: string, keys: EvaluationKeyBytes): Promise<void> {
    const transfer = [
      keys.galoisKeys.buffer,
      ...(keys.relinKeys ? [keys.relinKeys.buffer] : []),
      ...(keys.publicKey ? [keys.publicKey.buffer] : []),
    ]
    const result = await this.#submit(
      {
        kind: 'validate-keys',
        modelId,
        galoisKeys: keys.galoisKeys,
        ...(keys.relinKeys ? { relinKeys: keys.relinKeys } : {}),
        ...(keys.publicKey ? { publicKey: keys.publicKey } : {}),
      },
      transfer,
    )
    if (result.kind !== 'valid') throw unexpected(result)
  }

  async infer(request: InferRequest): Promise<Uint8Array> {
    const parts = this.#splitParts.get(request.modelId) ?? 0
    // Idle workers: every admitted task occupies or waits for one.
    if (parts >= 2 && this.#inFlight + parts <= this.#workers)
      return this.#inferSplit(request, parts)
    const result = await this.#withKeys(
      {
        kind: 'infer',
        modelId: request.modelId,
        keyId: request.keyId,
        keyExpiresAtMs: Date.parse(request.keyExpiresAt),
        input: request.input,
      },
      request,
    )
    if (result.kind !== 'output') throw unexpected(result)
    return result.output
  }

  /** The parts of a split query side by side on idle workers, then one merge task. */
  async #inferSplit(request: InferRequest, parts: number): Promise<Uint8Array> {
    this.splitQueries++
    const outputs = await Promise.all(
      Array.from({ length: parts }, async (_, part) => {
        const result = await this.#withKeys(
          {
            kind: 'infer-part',
            modelId: request.modelId,
            keyId: request.keyId,
            keyExpiresAtMs: Date.parse(request.keyExpiresAt),
            part,
            // Every part reads the whole input: each transfers its own copy.
            input: request.input.slice(),
          },
          request,
        )
        if (result.kind !== 'output') throw unexpected(result)
        return result.output
      }),
    )
    const merged = await this.#submit(
      { kind: 'merge', modelId: request.modelId, outputs },
      outputs.map((output) => output.buffer),
    )
    if (merged.kind !== 'output') throw unexpected(merged)
    return merged.output
  }

  /**
   * Runs a query task; a worker without the key set answers 'need-keys', and the task is sent once
   * more with the keys from the store. The first attempt transfers copies of the inputs (a memcpy
   * of a few hundred KB per ciphertext), the retry the originals.
   */
  async #withKeys(
    task: Extract<WorkerTask, { kind: 'infer' | 'infer-part' | 'infer-batch' }>,
    request: Pick<InferRequest, 'loadKeys'>,
  ): Promise<WorkerResult> {
    const inputsOf = (value: typeof task): Uint8Array[] =>
      value.kind === 'infer-batch' ? value.inputs : [value.input]
    const copy = (value: typeof task): typeof task =>
      value.kind === 'infer-batch'
        ? { ...value, inputs: value.inputs.map((input) => input.slice()) }
        : { ...value, input: value.input.slice() }
    const first = copy(task)
    const result = await this.#submit(
      first,
      inputsOf(first).map((input) => input.buffer),
      true,
    )
    if (result.kind !== 'need-keys') return result
    const { keys } = await request.loadKeys()
    return this.#submit({ ...task, keys }, [
      ...inputsOf(task).map((input) => input.buffer),
      keys.galoisKeys.buffer,
      ...(keys.relinKeys ? [keys.relinKeys.buffer] : []),
      ...(keys.publicKey ? [keys.publicKey.buffer] : []),
    ])
  }

  async inferBatch(request: BatchInferRequest): Promise<Uint8Array[]> {
    const result = await this.#withKeys(
      {
        kind: 'infer-batch',
        modelId: request.modelId,
        keyId: request.keyId,
        keyExpiresAtMs: Date.parse(request.keyExpiresAt),
        inputs: request.inputs,
      },
      request,
    )
    if (result.kind !== 'outputs') throw unexpected(result)
    return result.outputs
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
    const retry = !firstAttempt && task.kind.startsWith('infer')
    if (!retry && task.kind !== 'merge' && this.#inFlight >= this.#capacity) {
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
    // The engine's time of a query task (validation, plan, serialization; not the key loading).
    if (result.kind === 'output' || result.kind === 'outputs') {
      this.#busyMs += result.ms
      this.#cpuMs += result.cpuMs
    }
    return result
  }
}

function unexpected(result: WorkerResult): Error {
  return new Error(`unexpected worker result '${result.kind}'`)
}
