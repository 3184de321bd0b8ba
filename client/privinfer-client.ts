/**
 * The privinfer client library (Node and browsers).
 *
 * @example
 * const client = await PrivinferClient.create({ baseUrl: 'http://localhost:8080' })
 * const session = await client.openSession('mnist-dp')   // keys made here, only the card's Galois steps
 * const { label, probabilities } = await session.infer(pixels) // encrypt -> POST -> decrypt, here
 * await session.close()                                     // deletes the remote keys, frees SEAL objects
 */
import type { ModelCard } from '../core/card.ts'
import { createCkksContext } from '../core/ckks/context.ts'
import { loadSeal, type SealModule } from '../core/seal/load.ts'
import { createClientKeys, type ClientKeys } from '../core/he/index.ts'
import { PrivinferSession } from './session.ts'
import { ServiceApi, type ModelSummary, type ServiceApiOptions } from './service-api.ts'

export type PrivinferClientOptions = ServiceApiOptions

/** Optional hooks of openSession. */
export interface OpenSessionOptions {
  /**
   * Where the client's keys come from; default: fresh keys (createClientKeys). The Node-only
   * client/node/key-directory.ts supplies keys persisted in a local folder.
   */
  keys?: (ctx: Parameters<typeof createClientKeys>[0], card: ModelCard) => Promise<ClientKeys> | ClientKeys
}

export class PrivinferClient {
  /** The raw v1 API (cards, uploads, health). */
  readonly api: ServiceApi
  readonly #seal: SealModule

  private constructor(api: ServiceApi, seal: SealModule) {
    this.api = api
    this.#seal = seal
  }

  /** Loads SEAL (WebAssembly) and returns a client for the service at `baseUrl`. */
  static async create(options: PrivinferClientOptions): Promise<PrivinferClient> {
    return new PrivinferClient(new ServiceApi(options), await loadSeal())
  }

  listModels(): Promise<ModelSummary[]> {
    return this.api.listModels()
  }

  getModel(modelId: string): Promise<ModelCard> {
    return this.api.getModel(modelId)
  }

  /**
   * Reads the model card, makes keys with exactly the card's Galois steps (and relinearization keys
   * when needed), uploads the evaluation keys, and keeps the secret key in this process.
   */
  async openSession(modelId: string, options: OpenSessionOptions = {}): Promise<PrivinferSession> {
    const card = await this.api.getModel(modelId)
    const ctx = createCkksContext(this.#seal, {
      polyModulusDegree: card.he.polyModulusDegree,
      coeffModulusBits: card.he.coeffModulusBits,
      scaleBits: card.he.scaleBits,
    })
    let keys: ClientKeys | undefined
    try {
      keys = options.keys
        ? await options.keys(ctx, card)
        : createClientKeys(ctx, { galoisSteps: card.he.galoisSteps, relin: card.he.needsRelinKeys })
      const { keyId, expiresAt } = await this.api.uploadKeys(card.id, keys.evaluationKeyBundle())
      return new PrivinferSession({ api: this.api, card, ctx, keys, keyId, expiresAt, ownsContext: true })
    } catch (error) {
      keys?.delete()
      ctx.delete()
      throw error
    }
  }
}
