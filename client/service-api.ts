/**
 * The HTTP calls of the v1 API (fetch + FormData + Blob: Node >= 18 and browsers). Upload functions
 * accept only the branded types core/he creates: an `EvaluationKeyBundle` (Galois and relinearization
 * keys; it has no secret-key field) and an `EncryptedInput` (a ciphertext). Nothing here can send a
 * secret key or a decrypted value (the plain route takes only explicitly public data, {@link PublicInput}).
 */
import type { CardSummary, ModelCard } from '../core/card.ts'
import type { TestImage } from '../core/test-image.ts'
import type { EncryptedInput, EvaluationKeyBundle } from '../core/he/index.ts'
import { PrivinferError } from '../core/errors.ts'
import { problemFromResponse } from './problem-error.ts'
import { networkError, serviceBaseUrl } from './service-url.ts'

export interface ServiceApiOptions {
  /**
   * e.g. http://localhost:8080 (no trailing /v1). In a browser a relative URL ('/' for the page's own
   * origin) is resolved against the page's address.
   */
  baseUrl: string
  /** Bearer token, when the service sets AUTH_TOKEN. */
  token?: string
  /** A fetch implementation (default: globalThis.fetch). */
  fetch?: typeof fetch
}

/** A model as listed by GET /v1/models (the default model first, `default: true`). */
export interface ModelSummary extends CardSummary {
  /** The model served when a client names none (DEFAULT_MODEL, else mnist-dp). */
  default: boolean
}

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
  readonly #baseUrl: string
  readonly #token: string | undefined
  readonly #fetch: typeof fetch

  /** @throws PrivinferError URL_INVALID for a URL that is not http(s), or ends in /v1. */
  constructor(options: ServiceApiOptions) {
    this.#baseUrl = serviceBaseUrl(
      options.baseUrl,
      typeof location !== 'undefined' ? location.href : undefined,
    )
    this.#token = options.token
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis)
  }

  async health(): Promise<{ status: string; models: string[] }> {
    return jsonOf(await this.#request('GET', '/v1/health'), this.#baseUrl)
  }

  async listModels(): Promise<ModelSummary[]> {
    const body = (await jsonOf(await this.#request('GET', '/v1/models'), this.#baseUrl)) as {
      models: ModelSummary[]
    }
    return body.models
  }

  async getModel(modelId: string): Promise<ModelCard> {
    return jsonOf(
      await this.#request('GET', `/v1/models/${encodeURIComponent(modelId)}`),
      this.#baseUrl,
    )
  }

  /**
   * GET /v1/models/{id}/test-image: a random held-out image of the model's public test split (public
   * data coming in; nothing is sent).
   */
  async testImage(modelId: string): Promise<TestImage> {
    return jsonOf(
      await this.#request('GET', `/v1/models/${encodeURIComponent(modelId)}/test-image`),
      this.#baseUrl,
    )
  }

  /** POST /v1/keys. */
  async uploadKeys(modelId: string, bundle: EvaluationKeyBundle): Promise<StoredKeyInfo> {
    const form = new FormData()
    form.append('modelId', modelId)
    form.append('galoisKeys', blobOf(bundle.galoisKeys), 'galois-keys.seal')
    if (bundle.relinKeys !== undefined)
      form.append('relinKeys', blobOf(bundle.relinKeys), 'relin-keys.seal')
    return jsonOf(await this.#request('POST', '/v1/keys', form), this.#baseUrl)
  }

  /** DELETE /v1/keys/{keyId}. */
  async deleteKeys(keyId: string, options: { keepalive?: boolean } = {}): Promise<void> {
    await this.#request(
      'DELETE',
      `/v1/keys/${encodeURIComponent(keyId)}`,
      undefined,
      undefined,
      options,
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
    return jsonOf(response, this.#baseUrl)
  }

  async #request(
    method: string,
    path: string,
    body?: FormData | string,
    contentType?: string,
    init: { keepalive?: boolean } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json, application/octet-stream' }
    if (this.#token !== undefined) headers.Authorization = `Bearer ${this.#token}`
    if (contentType !== undefined) headers['Content-Type'] = contentType
    let response: Response
    try {
      response = await this.#fetch(`${this.#baseUrl}${path}`, {
        method,
        headers,
        body,
        ...(init.keepalive === true ? { keepalive: true } : {}),
      })
    } catch (error) {
      throw networkError(error, this.#baseUrl)
    }
    if (!response.ok) throw await problemFromResponse(response)
    return response
  }
}

/** The JSON body of a successful answer; anything else means the URL is not a privinfer service. */
async function jsonOf<T>(response: Response, baseUrl: string): Promise<T> {
  try {
    return (await response.json()) as T
  } catch (cause) {
    const type = response.headers.get('content-type') ?? 'no content type'
    throw new PrivinferError(
      'URL_INVALID',
      `${baseUrl} answered ${new URL(response.url || baseUrl).pathname} with something that is not JSON (${type}): is it a privinfer service?`,
      { url: baseUrl },
      { cause },
    )
  }
}

function blobOf(bytes: Uint8Array): Blob {
  return new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' })
}
