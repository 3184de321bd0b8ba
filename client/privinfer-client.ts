/**
 * The privinfer client library (Node and browsers).
 *
 * @example
 * const client = await PrivinferClient.create({ baseUrl: 'http://localhost:8080' })
 * const session = await client.openSession('mnist-dp')   // keys made here, only the card's Galois steps
 * const { label, probabilities } = await session.infer(pixels) // encrypt -> POST -> decrypt, here
 * await session.close()                                     // deletes the remote keys, frees SEAL objects
 *
 * // Node only: keep the secret key in a private local folder and reuse it next time.
 * const saved = await client.openSession('mnist-dp', { keysDir: '.privinfer-keys' })
 */
import type { ModelCard } from '../core/card.ts'
import { createCkksContext } from '../core/ckks/context.ts'
import { loadSeal, type SealModule } from '../core/seal/load.ts'
import { createClientKeys, type ClientKeys } from '../core/he/index.ts'
import { PrivinferError } from '../core/errors.ts'
import { PrivinferSession } from './session.ts'
import type { ModelSummary } from '../core/card.ts'
import { ServiceApi, type ServiceApiOptions } from './service-api.ts'
import { timedStep, type OnSessionStep } from './steps.ts'

export type PrivinferClientOptions = ServiceApiOptions

/** Optional hooks of openSession. */
export interface OpenSessionOptions {
  /**
   * Where the client's keys come from; default: fresh keys (createClientKeys). The Node-only
   * client/node/key-directory.ts supplies keys persisted in a local folder.
   */
  keys?: (
    ctx: Parameters<typeof createClientKeys>[0],
    card: ModelCard,
  ) => Promise<ClientKeys> | ClientKeys
  /**
   * Node only: a local keys directory (client/node/key-directory.ts). When it holds a secret key for
   * this model made under the card's encryption parameters, that key is reused (evaluation keys are
   * regenerated from it and uploaded); otherwise new keys are made and, once the service has accepted
   * the evaluation keys, the secret key is saved there (file mode 0600, directory mode 0700). A
   * group/world-writable directory is refused (KeyDirectoryError, CONFIG_INVALID). Not with `keys`.
   */
  keysDir?: string
  /** Reports the make-keys and upload-keys steps (time, evaluation-key bytes). */
  onStep?: OnSessionStep
}

/**
 * The Node-only module, loaded lazily by a specifier bundlers leave alone (web/build.ts never includes
 * it): the .ts source here, the .js file that scripts/build-client-package.ts puts beside the built
 * library in the packed client.
 */
const KEY_DIRECTORY_MODULE = import.meta.url.endsWith('.ts')
  ? './node/key-directory.ts'
  : './node/key-directory.js'
type KeyDirectoryModule = typeof import('./node/key-directory.ts')

export class PrivinferClient {
  /** The raw v1 API (cards, uploads, health). */
  readonly api: ServiceApi
  readonly #seal: SealModule
  readonly #baseUrl: string

  private constructor(api: ServiceApi, seal: SealModule, baseUrl: string) {
    this.api = api
    this.#seal = seal
    this.#baseUrl = baseUrl
  }

  /** Loads SEAL (WebAssembly) and returns a client for the service at `baseUrl`. */
  static async create(options: PrivinferClientOptions): Promise<PrivinferClient> {
    return new PrivinferClient(new ServiceApi(options), await loadSeal(), options.baseUrl)
  }

  listModels(): Promise<ModelSummary[]> {
    return this.api.listModels()
  }

  getModel(modelId: string): Promise<ModelCard> {
    return this.api.getModel(modelId)
  }

  /**
   * Reads the model card, makes keys with exactly the card's Galois steps (and relinearization keys
   * when needed), uploads the evaluation keys, and keeps the secret key in this process (or, with
   * `options.keysDir` in Node, in that owner-only local folder: see {@link OpenSessionOptions.keysDir}).
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
      let commit: ((keyId: string) => Promise<void>) | undefined
      const { onStep } = options
      const started = performance.now()
      if (options.keysDir !== undefined) {
        if (options.keys !== undefined)
          throw new PrivinferError('BAD_REQUEST', 'openSession: give keys or keysDir, not both')
        const prepared = await (
          await loadKeyDirectoryModule()
        ).prepareSessionKeys(options.keysDir, ctx, card, this.#baseUrl)
        keys = prepared.keys
        commit = prepared.commit
      } else {
        keys = options.keys
          ? await options.keys(ctx, card)
          : createClientKeys(ctx, {
              galoisSteps: card.he.galoisSteps,
              relin: card.he.needsRelinKeys,
              publicKey: card.he.flooding !== undefined,
            })
      }
      // Galois keys are generated on the first evaluationKeyBundle() call: part of make-keys.
      const bundle = keys.evaluationKeyBundle()
      const bundleBytes =
        bundle.galoisKeys.byteLength +
        (bundle.relinKeys?.byteLength ?? 0) +
        (bundle.publicKey?.byteLength ?? 0)
      onStep?.({ step: 'make-keys', ms: performance.now() - started, bytes: bundleBytes })
      const { keyId, expiresAt } = await timedStep(
        onStep,
        'upload-keys',
        () => this.api.uploadKeys(card.id, bundle),
        () => bundleBytes,
      )
      if (commit !== undefined) {
        try {
          await commit(keyId)
        } catch (error) {
          await this.api.deleteKeys(keyId).catch(() => undefined)
          throw error
        }
      }
      return new PrivinferSession({
        api: this.api,
        card,
        ctx,
        keys,
        keyId,
        expiresAt,
        ownsContext: true,
      })
    } catch (error) {
      keys?.delete()
      ctx.delete()
      throw error
    }
  }
}

async function loadKeyDirectoryModule(): Promise<KeyDirectoryModule> {
  const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string'
  if (!isNode) throw new PrivinferError('BAD_REQUEST', 'keysDir is available in Node only')
  return (await import(/* @vite-ignore */ KEY_DIRECTORY_MODULE)) as KeyDirectoryModule
}
