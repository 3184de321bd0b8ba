/**
 * One model session: the client's keys for one model (secret key inside, never sent), the remote key id,
 * and the encrypted round trip. Created by `PrivinferClient.openSession`.
 */
import type { ModelCard } from '../core/card.ts'
import type { CkksContext } from '../core/ckks/context.ts'
import { PrivinferError } from '../core/errors.ts'
import { type ClientKeys, decryptOutput, encryptInput } from '../core/he/index.ts'
import { decryptBatch, encryptBatch, outputCiphertextsOf } from '../core/he/encrypt-batch.ts'
import { toPrediction, type Prediction } from './prediction.ts'
import { checkInputRange } from './input-range.ts'
import { preprocessInput } from './preprocess.ts'
import type { ServiceApi } from './service-api.ts'
import { timedStep, type OnSessionStep } from './steps.ts'

export interface InferOptions {
  /** Reports the encrypt, server and decrypt steps (time, query and result bytes). */
  onStep?: OnSessionStep
}

export interface InferBatchOptions {
  /** Called after each query with the inputs answered so far and the total. */
  onProgress?: (done: number, total: number) => void
  /** Queries in flight at once (default 2: the next query is encrypted while one is served). */
  concurrency?: number
}

export interface CloseOptions {
  /**
   * Browsers: send the key deletion with `keepalive`, so that it completes while the page unloads
   * (call close from a `pagehide` listener).
   */
  keepalive?: boolean
}

export interface SessionParts {
  api: ServiceApi
  card: ModelCard
  ctx: CkksContext
  keys: ClientKeys
  keyId: string
  expiresAt: string
  /** Frees the context too (false when it is shared). */
  ownsContext: boolean
}

export class PrivinferSession {
  readonly card: ModelCard
  /** The remote id of the uploaded evaluation keys. */
  readonly keyId: string
  /** ISO-8601 expiry of the remote keys. */
  readonly expiresAt: string
  readonly #api: ServiceApi
  readonly #ctx: CkksContext
  readonly #keys: ClientKeys
  readonly #ownsContext: boolean
  #closed = false

  constructor(parts: SessionParts) {
    this.card = parts.card
    this.keyId = parts.keyId
    this.expiresAt = parts.expiresAt
    this.#api = parts.api
    this.#ctx = parts.ctx
    this.#keys = parts.keys
    this.#ownsContext = parts.ownsContext
  }

  get modelId(): string {
    return this.card.id
  }

  /**
   * Preprocesses (card.input.preprocessing), encrypts per card.input.layout, POSTs, decrypts the
   * result and decodes it per card.output.layout.
   * @param input the raw input, card.input.rawSize numbers (e.g. 784 pixels in [0, 1], row-major).
   * @throws PrivinferError INPUT_INVALID for a wrong length or values outside card.input.range (an
   *   8-bit 0-255 image for a [0, 1] model is named as such); the service's problem codes otherwise.
   */
  async infer(input: ArrayLike<number>, options: InferOptions = {}): Promise<Prediction> {
    this.#assertOpen()
    const { card } = this
    const { onStep } = options
    const encrypted = await timedStep(
      onStep,
      'encrypt',
      () => {
        checkInputRange(card.input, input)
        const modelInput = preprocessInput(card.input.preprocessing, input, card.input.rawSize)
        return encryptInput(this.#ctx, this.#keys, card.input.layout, modelInput, {
          level: card.he.inputLevel,
        })
      },
      (bytes) => bytes.byteLength,
    )
    const result = await timedStep(
      onStep,
      'server',
      () => this.#api.infer(card.id, this.keyId, encrypted),
      (bytes) => bytes.byteLength,
    )
    const logits = await timedStep(onStep, 'decrypt', () =>
      decryptOutput(this.#ctx, this.#keys, result, card.output.layout, card.he.outputLevel),
    )
    return toPrediction(logits, card.labels, card.output.postprocessing)
  }

  /**
   * Predictions for many inputs, one per input, in order. With a batch plan (card.batch) the inputs
   * are packed into queries of up to card.maxBatch (the last one partial); otherwise each input is
   * one query. Queries are pipelined: the next one is encrypted while earlier ones are served.
   * Every input is checked and preprocessed before anything is sent.
   * @param inputs raw inputs, card.input.rawSize numbers each.
   * @throws PrivinferError INPUT_INVALID (naming the input's index); the service's problem codes.
   */
  async inferBatch(
    inputs: ReadonlyArray<ArrayLike<number>>,
    options: InferBatchOptions = {},
  ): Promise<Prediction[]> {
    this.#assertOpen()
    const { card } = this
    const modelInputs = inputs.map((input, index) => {
      try {
        checkInputRange(card.input, input)
        return preprocessInput(card.input.preprocessing, input, card.input.rawSize)
      } catch (error) {
        if (error instanceof PrivinferError) {
          throw new PrivinferError(
            error.code,
            `input ${index}: ${error.message}`,
            { ...error.details, inputIndex: index },
            { cause: error },
          )
        }
        throw error
      }
    })
    const batch = card.batch
    const perQuery = batch?.maxBatch ?? 1
    const chunks: Array<ArrayLike<number>[]> = []
    for (let start = 0; start < modelInputs.length; start += perQuery)
      chunks.push(modelInputs.slice(start, start + perQuery))
    const predictions: Prediction[][] = new Array(chunks.length)
    const concurrency = Math.max(1, options.concurrency ?? 2)
    let done = 0
    let failure: { error: unknown } | undefined
    const inFlight = new Set<Promise<void>>()
    for (const [index, chunk] of chunks.entries()) {
      while (inFlight.size >= concurrency) await Promise.race(inFlight)
      if (failure !== undefined) break
      // Encryption runs here, on this thread, while the queries already sent are being served.
      const query =
        batch === undefined
          ? this.#singleQuery(chunk[0])
          : this.#batchQuery(encryptBatch(this.#ctx, this.#keys, batch, chunk), chunk.length)
      const tracked: Promise<void> = query
        .then(
          (result) => {
            predictions[index] = result
            done += chunk.length
            options.onProgress?.(done, modelInputs.length)
          },
          (error: unknown) => {
            failure ??= { error }
          },
        )
        .finally(() => inFlight.delete(tracked))
      inFlight.add(tracked)
    }
    await Promise.all(inFlight)
    if (failure !== undefined) throw failure.error
    return predictions.flat()
  }

  async #singleQuery(modelInput: ArrayLike<number>): Promise<Prediction[]> {
    const { card } = this
    const encrypted = encryptInput(this.#ctx, this.#keys, card.input.layout, modelInput, {
      level: card.he.inputLevel,
    })
    const result = await this.#api.infer(card.id, this.keyId, encrypted)
    const logits = decryptOutput(
      this.#ctx,
      this.#keys,
      result,
      card.output.layout,
      card.he.outputLevel,
    )
    return [toPrediction(logits, card.labels, card.output.postprocessing)]
  }

  async #batchQuery(
    encrypted: ReturnType<typeof encryptBatch>,
    count: number,
  ): Promise<Prediction[]> {
    const { card } = this
    const batch = card.batch
    if (batch === undefined) throw new Error('no batch plan')
    const results = await this.#api.inferBatch(
      card.id,
      this.keyId,
      batch,
      encrypted,
      outputCiphertextsOf(batch),
    )
    return decryptBatch(this.#ctx, this.#keys, batch, results, count).map((logits) =>
      toPrediction(logits, card.labels, card.output.postprocessing),
    )
  }

  /** Deletes the remote keys (ignoring KEY_NOT_FOUND / KEY_EXPIRED) and frees the SEAL objects. */
  async close(options: CloseOptions = {}): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    try {
      await this.#api.deleteKeys(this.keyId, options)
    } catch (error) {
      if (!(
        error instanceof PrivinferError &&
        (error.code === 'KEY_NOT_FOUND' || error.code === 'KEY_EXPIRED')
      ))
        throw error
    } finally {
      this.#keys.delete()
      if (this.#ownsContext) this.#ctx.delete()
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new PrivinferError('BAD_REQUEST', 'this session is closed')
  }
}
