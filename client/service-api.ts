/**
 * The HTTP calls of the v1 API (fetch + FormData + Blob: Node >= 18 and browsers). Upload functions
 * accept only the branded types core/he creates: an `EvaluationKeyBundle` (Galois and relinearization
 * keys; it has no secret-key field) and an `EncryptedInput` (a ciphertext). Nothing here can send a
 * secret key or a decrypted value (the plain route takes only explicitly public data, {@link PublicInput}).
 */
import type { BatchCard, ModelCard, ModelSummary } from '../core/card.ts'
import { splitSealObjects } from '../core/wire/concatenated.ts'
import { PrivinferError } from '../core/errors.ts'
import type { EncryptedInput, EvaluationKeyBundle } from '../core/he/index.ts'
import type { TestImage } from '../core/test-image.ts'
import { problemFromResponse } from './problem-error.ts'
import { networkError, serviceBaseUrl } from './service-url.ts'

export interface ServiceApiOptions {
  /**
   * e.g. http://localhost:8080 (no trailing /v1). In a browser a relative URL ('/' for the page's own
   * origin) is resolved against the page's address.
   */
  baseUrl: string
  /**
   * Other replicas of the same service (sharing its key store), tried in turn when a retryable
   * request fails on one. Behind a load balancer, leave empty: a retry on `baseUrl` reaches
   * another replica.
   */
  replicaUrls?: readonly string[]
  /** Bearer token, when the service sets AUTH_TOKEN. */
  token?: string
  /** A fetch implementation (default: globalThis.fetch). */
  fetch?: typeof fetch
  /** Retries of idempotent requests (see {@link RetryPolicy}); `{ attempts: 1 }` disables them. */
  retry?: Partial<RetryPolicy>
}

/**
 * When a request is sent again. Idempotent requests (GET, DELETE, POST .../infer: a query changes
 * nothing on the service) are retried after a network failure (a replica killed mid-request, a
 * connection reset) or a 502 / 503 / 504 answer (NOT_READY, OVERLOADED, KEY_STORE_UNAVAILABLE, a
 * proxy with no healthy upstream). An upload of keys is retried only when it certainly stored
 * nothing: the connection was refused, or the answer was NOT_READY or OVERLOADED (checked before
 * anything is stored). 4xx answers are never retried.
 */
export interface RetryPolicy {
  /** Tries in all, the first included (default 4). */
  attempts: number
  /** First pause between tries, doubled each time, milliseconds (default 200). */
  initialDelayMs: number
  /** Longest pause, also the cap on a Retry-After header, milliseconds (default 2000). */
  maxDelayMs: number
}

const DEFAULT_RETRY: RetryPolicy = { attempts: 4, initialDelayMs: 200, maxDelayMs: 2000 }

/** Problem codes after which a retry can succeed (the request did nothing). */
const RETRYABLE_CODES = new Set(['NOT_READY', 'OVERLOADED', 'KEY_STORE_UNAVAILABLE'])
/** The subset that proves nothing was stored (safe to resend an upload). */
const NOTHING_STORED_CODES = new Set(['NOT_READY', 'OVERLOADED'])

type Idempotence = 'idempotent' | 'upload'

export interface StoredKeyInfo {
  keyId: string
  /** ISO-8601. */
  expiresAt: string
  modelId: string
}

declare const publicInputBrand: unique symbol

/**
 * Plaintext that is public (e.g. MNIST test digits), the only values the plain route accepts. Made by
 * {@link markPublic}, an explicit step, so that decrypted outputs or private inputs cannot reach the
 * network by accident: a Float64Array from decryption does not type-check here.
 */
export type PublicInput = readonly number[] & { readonly [publicInputBrand]: true }

/** Declares `values` public test data (they will be sent in clear). */
export function markPublic(values: ArrayLike<number>): PublicInput {
  return Object.freeze(Array.from(values)) as unknown as PublicInput
}

/** The result ciphertext as returned by the service (SEAL-serialized). */
export type EncryptedOutput = Uint8Array & { readonly __brand: 'EncryptedOutput' }

export class ServiceApi {
  readonly #baseUrls: readonly string[]
  readonly #token: string | undefined
  readonly #fetch: typeof fetch
  readonly #retry: RetryPolicy
  /** The replica the next request goes to first (the one that answered last). */
  #current = 0

  /** @throws PrivinferError URL_INVALID for a URL that is not http(s), or ends in /v1. */
  constructor(options: ServiceApiOptions) {
    const page = typeof location !== 'undefined' ? location.href : undefined
    this.#baseUrls = [options.baseUrl, ...(options.replicaUrls ?? [])].map((url) =>
      serviceBaseUrl(url, page),
    )
    this.#token = options.token
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis)
    this.#retry = { ...DEFAULT_RETRY, ...options.retry }
  }

  async health(): Promise<{ status: string; models: string[] }> {
    return jsonOf(await this.#request('GET', '/v1/health'))
  }

  async listModels(): Promise<ModelSummary[]> {
    const body = (await jsonOf(await this.#request('GET', '/v1/models'))) as {
      models: ModelSummary[]
    }
    return body.models
  }

  async getModel(modelId: string): Promise<ModelCard> {
    return jsonOf(await this.#request('GET', `/v1/models/${encodeURIComponent(modelId)}`))
  }

  /**
   * GET /v1/models/{id}/test-image: a random held-out image of the model's public test split (public
   * data coming in; nothing is sent).
   */
  async testImage(modelId: string): Promise<TestImage> {
    return jsonOf(
      await this.#request('GET', `/v1/models/${encodeURIComponent(modelId)}/test-image`),
    )
  }

  /** POST /v1/keys. */
  async uploadKeys(modelId: string, bundle: EvaluationKeyBundle): Promise<StoredKeyInfo> {
    const form = new FormData()
    form.append('modelId', modelId)
    form.append('galoisKeys', blobOf(bundle.galoisKeys), 'galois-keys.seal')
    if (bundle.relinKeys !== undefined)
      form.append('relinKeys', blobOf(bundle.relinKeys), 'relin-keys.seal')
    if (bundle.publicKey !== undefined)
      form.append('publicKey', blobOf(bundle.publicKey), 'public-key.seal')
    return jsonOf(await this.#request('POST', '/v1/keys', form, undefined, 'upload'))
  }

  /**
   * DELETE /v1/keys/{keyId}. A retry that finds the keys gone after a lost answer counts as done
   * (the first try deleted them). `keepalive` (browsers): the request outlives an unloading page.
   */
  async deleteKeys(keyId: string, options: { keepalive?: boolean } = {}): Promise<void> {
    await this.#request(
      'DELETE',
      `/v1/keys/${encodeURIComponent(keyId)}`,
      undefined,
      undefined,
      'idempotent',
      true,
      options.keepalive === true,
    )
  }

  /** POST /v1/models/{id}/infer: the encrypted input in, the encrypted result out. */
  async infer(modelId: string, keyId: string, input: EncryptedInput): Promise<EncryptedOutput> {
    const form = new FormData()
    form.append('keyId', keyId)
    form.append('input', blobOf(input), 'input.seal')
    const response = await this.#request(
      'POST',
      `/v1/models/${encodeURIComponent(modelId)}/infer`,
      form,
    )
    return new Uint8Array(await response.arrayBuffer()) as EncryptedOutput
  }

  /**
   * POST /v1/models/{id}/infer as a batch query (docs/api.md "Batch queries"): the batch plan's
   * input ciphertexts as `input` parts in order, declared by `packing` and `maxBatch`; the result
   * ciphertexts come back concatenated and are split here.
   */
  async inferBatch(
    modelId: string,
    keyId: string,
    batch: Pick<BatchCard, 'packing' | 'maxBatch'>,
    inputs: readonly EncryptedInput[],
    expectedOutputs: number,
  ): Promise<EncryptedOutput[]> {
    const form = new FormData()
    form.append('keyId', keyId)
    form.append('packing', batch.packing)
    form.append('maxBatch', String(batch.maxBatch))
    inputs.forEach((input, index) => form.append('input', blobOf(input), `input-${index}.seal`))
    const response = await this.#request(
      'POST',
      `/v1/models/${encodeURIComponent(modelId)}/infer`,
      form,
    )
    const body = new Uint8Array(await response.arrayBuffer())
    return splitSealObjects(body, expectedOutputs) as EncryptedOutput[]
  }

  /** POST /v1/models/{id}/plain (public test data only, see {@link markPublic}; the service must enable it). */
  async inferPlain(
    modelId: string,
    input: PublicInput,
  ): Promise<{ output: number[]; label: number }> {
    const response = await this.#request(
      'POST',
      `/v1/models/${encodeURIComponent(modelId)}/plain`,
      JSON.stringify({ input }),
      'application/json',
    )
    return jsonOf(response)
  }

  async #request(
    method: string,
    path: string,
    body?: FormData | string,
    contentType?: string,
    idempotence: Idempotence = 'idempotent',
    goneMeansDone = false,
    keepalive = false,
  ): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json, application/octet-stream' }
    if (this.#token !== undefined) headers.Authorization = `Bearer ${this.#token}`
    if (contentType !== undefined) headers['Content-Type'] = contentType
    let lostAnswer = false
    for (let attempt = 1; ; attempt++) {
      const baseUrl = this.#baseUrls[this.#current]
      const last = attempt >= this.#retry.attempts
      let response: Response
      try {
        response = await this.#fetch(`${baseUrl}${path}`, {
          method,
          headers,
          body,
          ...(keepalive ? { keepalive: true } : {}),
        })
      } catch (error) {
        // No answer: a refused connection sent nothing; any other failure may have been processed.
        const refused = isConnectionRefused(error)
        if (last || (idempotence === 'upload' && !refused)) throw networkError(error, baseUrl)
        lostAnswer ||= !refused
        await this.#pauseAndMoveOn(attempt, undefined)
        continue
      }
      if (response.ok) return response
      const problem = await problemFromResponse(response)
      if (goneMeansDone && lostAnswer && problem.code === 'KEY_NOT_FOUND') return response
      const retryable =
        [502, 503, 504].includes(response.status) &&
        (idempotence === 'upload'
          ? NOTHING_STORED_CODES.has(problem.code)
          : RETRYABLE_CODES.has(problem.code) || response.status !== 503)
      if (last || !retryable) throw problem
      await this.#pauseAndMoveOn(attempt, response.headers.get('retry-after'))
    }
  }

  /** Waits (Retry-After when given, else exponential backoff, both capped) and picks the next replica. */
  async #pauseAndMoveOn(attempt: number, retryAfter: string | null | undefined): Promise<void> {
    this.#current = (this.#current + 1) % this.#baseUrls.length
    const backoff = this.#retry.initialDelayMs * 2 ** (attempt - 1)
    const asked =
      retryAfter != null && /^\d+$/.test(retryAfter) ? Number(retryAfter) * 1000 : backoff
    // With another replica to try, the first retry goes there at once.
    const delay =
      this.#baseUrls.length > 1 && attempt === 1 ? 0 : Math.min(asked, this.#retry.maxDelayMs)
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay))
  }
}

/** True when fetch failed because nothing listened (the request never reached a service). */
function isConnectionRefused(error: unknown): boolean {
  let cause: unknown = error
  for (let depth = 0; depth < 4 && cause; depth++) {
    if ((cause as { code?: unknown }).code === 'ECONNREFUSED') return true
    cause = (cause as { cause?: unknown }).cause
  }
  return false
}

/** The JSON body of a successful answer; anything else means the URL is not a privinfer service. */
async function jsonOf<T>(response: Response): Promise<T> {
  try {
    return (await response.json()) as T
  } catch (cause) {
    const type = response.headers.get('content-type') ?? 'no content type'
    const where = response.url === '' ? 'the service' : response.url
    throw new PrivinferError(
      'URL_INVALID',
      `${where} answered with something that is not JSON (${type}): is this a privinfer service?`,
      { url: response.url },
      { cause },
    )
  }
}

function blobOf(bytes: Uint8Array): Blob {
  return new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' })
}
