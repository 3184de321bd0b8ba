/**
 * The client's keys: made on the client from the model's parameters, they never leave it.
 *
 * Roles in the types (STYLE.md §8, concrete-ml client/server): ClientKeys keeps the secret key in
 * private fields and has no getter and no serializer for it. What may leave the client is exactly
 * - the evaluation keys (`evaluationKeyBundle()`: Galois keys for the listed steps, relinearization
 *   keys if needed), and
 * - encrypted inputs (`encryptSerialized()`, core/he/encrypt-input.ts), typed {@link EncryptedInput}.
 * Decrypted values are plain Float64Arrays returned to the caller; no wire type accepts them.
 * JSON.stringify and util.inspect of a ClientKeys show only its public description.
 *
 * One narrow exception, for the client's own disk: `exportSecretKeyForLocalStorage` returns a
 * {@link LocalSecretKey} (not bytes, not a wire type: no upload function accepts it), which
 * client/node/key-directory.ts writes to an owner-only file and `restoreClientKeys` loads back.
 */
import type { CkksContext } from '../ckks/context.ts'
import { PrivinferError } from '../errors.ts'
import type {
  Ciphertext,
  Decryptor,
  Encryptor,
  GaloisKeys,
  KeyGenerator,
  PublicKey,
  RelinKeys,
  SecretKey,
} from '../seal/load.ts'
import { callSeal, translateSealExceptions } from '../seal/exceptions.ts'
import { copyBytes } from '../wire/ciphertext.ts'
import { sealComprMode, UPLOAD_COMPRESSION, type CompressionMode } from '../wire/compression.ts'
import { toEvaluationKeyBundle, type EvaluationKeyBundle } from '../wire/evaluation-key-bundle.ts'
import { galoisElementForStep } from '../wire/keys.ts'
import { ownEvaluationKeys } from './evaluation-keys.ts'
import {
  LocalSecretKey,
  LocalSecretKeyError,
  localSecretKeyFromStorage,
} from './local-secret-key.ts'

declare const encryptedInputBrand: unique symbol

/**
 * Bytes of a SEAL ciphertext made by ClientKeys (symmetric, seed-compressed): the only input bytes
 * the network layer is meant to send.
 */
export type EncryptedInput = Uint8Array & { readonly [encryptedInputBrand]: true }

export interface ClientKeyOptions {
  /** Rotation steps of the model card (card.he.galoisSteps); keys are made for these only. */
  galoisSteps: readonly number[]
  /** Whether the model needs relinearization keys (card.he.needsRelinKeys). */
  relin: boolean
  /**
   * Whether the model floods its results (card.he.flooding): the evaluation key bundle then carries
   * the public key too.
   */
  publicKey?: boolean
}

/** Evaluation keys as SEAL objects, for in-process use (tests, `privinfer infer`). */
export interface LocalEvaluationKeys {
  readonly galoisKeys: GaloisKeys
  readonly relinKeys?: RelinKeys
  /** Frees the keys. Idempotent. */
  delete(): void
}

export interface EncryptOptions {
  /** Level to encrypt at; defaults to the top level (a fresh ciphertext). */
  level?: number
  /** Encoding scale; defaults to the context's 2^scaleBits. */
  scale?: number
}

/** Set by ClientKeys' static block: reads a copy of the secret key (module-private). */
let readSecretKey: (keys: ClientKeys) => SecretKey

/**
 * A client's secret key with its encryptor and decryptor, bound to one CkksContext.
 * Create with {@link createClientKeys}; free with `delete()`.
 */
export class ClientKeys {
  readonly context: CkksContext
  readonly galoisSteps: readonly number[]
  readonly relin: boolean
  readonly publicKey: boolean
  #keyGenerator: KeyGenerator | undefined
  #publicKey: PublicKey | undefined
  #encryptor: Encryptor | undefined
  #decryptor: Decryptor | undefined
  #bundles = new Map<CompressionMode, EvaluationKeyBundle>()

  static {
    // The only reader of the secret key, for exportSecretKeyForLocalStorage below (module-private).
    readSecretKey = (keys) => keys.#live(keys.#keyGenerator).secretKey()
  }

  /** Use {@link createClientKeys} or {@link restoreClientKeys}. */
  constructor(
    ctx: CkksContext,
    options: ClientKeyOptions,
    token: typeof constructionToken,
    existingSecretKey?: SecretKey,
  ) {
    if (token !== constructionToken) throw new TypeError('use createClientKeys()')
    this.context = ctx
    this.galoisSteps = Object.freeze([...new Set(options.galoisSteps)])
    for (const step of this.galoisSteps) galoisElementForStep(ctx.params, step)
    this.relin = options.relin
    this.publicKey = options.publicKey ?? false
    const { seal } = ctx
    const keyGenerator =
      existingSecretKey === undefined
        ? new seal.KeyGenerator(ctx.context)
        : new seal.KeyGenerator(ctx.context, existingSecretKey)
    let secretKey: SecretKey | undefined
    try {
      secretKey = keyGenerator.secretKey()
      // node-seal's Encryptor needs a public key even for symmetric encryption; it never leaves.
      this.#publicKey = keyGenerator.createPublicKey()
      this.#encryptor = new seal.Encryptor(ctx.context, this.#publicKey, secretKey)
      this.#decryptor = new seal.Decryptor(ctx.context, secretKey)
      this.#keyGenerator = keyGenerator
    } catch (error) {
      this.#publicKey?.delete()
      this.#encryptor?.delete()
      keyGenerator.delete()
      throw error
    } finally {
      // The encryptor, decryptor and key generator hold their own copies; SEAL zeroes freed keys.
      secretKey?.delete()
    }
  }

  /**
   * The evaluation keys to upload: Galois keys for exactly `galoisSteps` and, if `relin`,
   * relinearization keys; seed-compressed (about half size) and serialized with `compression`
   * (zstd by default). Generated on the first call per mode, then reused.
   */
  evaluationKeyBundle(compression: CompressionMode = UPLOAD_COMPRESSION): EvaluationKeyBundle {
    const cached = this.#bundles.get(compression)
    if (cached !== undefined) return cached
    const keyGenerator = this.#live(this.#keyGenerator)
    const mode = sealComprMode(this.context.seal, compression)
    const galois = keyGenerator.createGaloisKeysSerializableWithSteps(
      Int32Array.from(this.galoisSteps),
    )
    let galoisKeys: Uint8Array
    try {
      galoisKeys = copyBytes(galois.saveToArray(mode))
    } finally {
      galois.delete()
    }
    let relinKeys: Uint8Array | undefined
    if (this.relin) {
      const relin = keyGenerator.createRelinKeysSerializable()
      try {
        relinKeys = copyBytes(relin.saveToArray(mode))
      } finally {
        relin.delete()
      }
    }
    const bundle = toEvaluationKeyBundle({
      galoisKeys,
      ...(relinKeys ? { relinKeys } : {}),
      ...(this.publicKey ? { publicKey: this.publicKeyBytes(compression) } : {}),
    })
    this.#bundles.set(compression, bundle)
    return bundle
  }

  /**
   * The public key (an encryption of zero under the secret key; seed-compressed, serialized with
   * `compression`), uploaded only to a model served with noise flooding (card.he.flooding), whose
   * service re-randomizes each result with a fresh encryption of zero under it. It reveals nothing
   * about the secret key beyond what the evaluation keys already do (RLWE).
   */
  publicKeyBytes(compression: CompressionMode = UPLOAD_COMPRESSION): Uint8Array {
    const keyGenerator = this.#live(this.#keyGenerator)
    const serializable = keyGenerator.createPublicKeySerializable()
    try {
      return copyBytes(serializable.saveToArray(sealComprMode(this.context.seal, compression)))
    } finally {
      serializable.delete()
    }
  }

  /**
   * The same evaluation keys as SEAL objects, without serialization (for in-process evaluation:
   * tests and the local round trip). The caller owns them and must call `delete()`.
   */
  evaluationKeysForLocalUse(): LocalEvaluationKeys {
    const keyGenerator = this.#live(this.#keyGenerator)
    const galoisKeys = keyGenerator.createGaloisKeysWithSteps(Int32Array.from(this.galoisSteps))
    const relinKeys = this.relin ? keyGenerator.createRelinKeys() : undefined
    return ownEvaluationKeys(galoisKeys, relinKeys)
  }

  /**
   * Encrypts slot values (symmetric encryption) into an in-memory ciphertext that the caller owns.
   * @param slots at most slotCount values (the rest are 0).
   * @throws PrivinferError INPUT_INVALID for non-finite values or values too large to encode.
   */
  encrypt(slots: ArrayLike<number>, options: EncryptOptions = {}): Ciphertext {
    const plaintext = this.#encode(slots, options)
    const ciphertext = new this.context.seal.Ciphertext()
    try {
      this.#live(this.#encryptor).encryptSymmetric(plaintext, ciphertext)
      return ciphertext
    } catch (error) {
      ciphertext.delete()
      throw error
    } finally {
      plaintext.delete()
    }
  }

  /**
   * Encrypts slot values (symmetric, seed-compressed: the second polynomial is replaced by its
   * 64-byte seed) and serializes them with `compression` (zstd by default).
   * @throws PrivinferError INPUT_INVALID for non-finite values or values too large to encode.
   */
  encryptSerialized(
    slots: ArrayLike<number>,
    options: EncryptOptions & { compression?: CompressionMode } = {},
  ): EncryptedInput {
    const plaintext = this.#encode(slots, options)
    try {
      const serializable = this.#live(this.#encryptor).encryptSymmetricSerializable(plaintext)
      try {
        const mode = sealComprMode(this.context.seal, options.compression ?? UPLOAD_COMPRESSION)
        return copyBytes(serializable.saveToArray(mode)) as EncryptedInput
      } finally {
        serializable.delete()
      }
    } finally {
      plaintext.delete()
    }
  }

  /**
   * Decrypts and decodes a ciphertext of this context into all slotCount slot values.
   * Validate untrusted ciphertexts first (loadCiphertext); decryptOutput does.
   * @throws SealError when SEAL refuses the ciphertext (e.g. one of another context).
   */
  decrypt(ciphertext: Ciphertext): Float64Array {
    const plaintext = new this.context.seal.Plaintext()
    try {
      const decryptor = this.#live(this.#decryptor)
      const slots = callSeal(this.context.seal, () => {
        decryptor.decrypt(ciphertext, plaintext)
        return this.context.encoder.decodeFloat64(plaintext) as ArrayLike<number>
      })
      return Float64Array.from(slots)
    } finally {
      plaintext.delete()
    }
  }

  /** Frees the secret key (zeroed by SEAL), the encryptor and the decryptor. Idempotent. */
  delete(): void {
    this.#encryptor?.delete()
    this.#decryptor?.delete()
    this.#publicKey?.delete()
    this.#keyGenerator?.delete()
    this.#encryptor = this.#decryptor = this.#publicKey = this.#keyGenerator = undefined
    this.#bundles.clear()
  }

  get isDeleted(): boolean {
    return this.#keyGenerator === undefined
  }

  /** Public description only: the secret key is not a property and never serialized. */
  toJSON(): { kind: 'ClientKeys'; galoisSteps: readonly number[]; relin: boolean } {
    return { kind: 'ClientKeys', galoisSteps: this.galoisSteps, relin: this.relin }
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `ClientKeys { galoisSteps: [${this.galoisSteps.join(', ')}], relin: ${this.relin} }`
  }

  #encode(slots: ArrayLike<number>, options: EncryptOptions) {
    const ctx = this.context
    this.#live(this.#encryptor)
    if (slots.length > ctx.slotCount) {
      throw new PrivinferError(
        'INPUT_INVALID',
        `${slots.length} values exceed ${ctx.slotCount} slots`,
      )
    }
    const values = Float64Array.from(slots)
    if (!values.every(Number.isFinite)) {
      throw new PrivinferError('INPUT_INVALID', 'input values must be finite numbers')
    }
    const level = options.level ?? ctx.topLevel
    const parmsId = ctx.parmsIdAtLevel(level)
    const plaintext = new ctx.seal.Plaintext()
    try {
      translateSealExceptions(
        ctx.seal,
        () => {
          ctx.encoder.encode(values, options.scale ?? ctx.scale, plaintext)
          if (level !== ctx.topLevel) ctx.evaluator.plainModSwitchToInplace(plaintext, parmsId)
        },
        (info) => new PrivinferError('INPUT_INVALID', `input cannot be encoded: ${info.message}`),
      )
      return plaintext
    } catch (error) {
      plaintext.delete()
      throw error
    }
  }

  #live<T>(object: T | undefined): T {
    if (object === undefined) throw new Error('ClientKeys used after delete()')
    return object
  }
}

const constructionToken = Symbol('ClientKeys')

/**
 * Makes a fresh secret key for `ctx` and the machinery around it. Keys for rotations and
 * relinearization are generated later, on demand (evaluationKeyBundle, evaluationKeysForLocalUse).
 * @throws RangeError for a Galois step that is not a valid rotation (|step| >= N/2).
 */
export function createClientKeys(ctx: CkksContext, options: ClientKeyOptions): ClientKeys {
  return new ClientKeys(ctx, options, constructionToken)
}

/**
 * Serializes the secret key of `keys` for LOCAL storage on the client's own disk (e.g.
 * client/node/key-directory.ts, which writes it with mode 0600). The result is a {@link LocalSecretKey},
 * which no network function accepts. Never send its bytes.
 * @throws Error when `keys` was deleted.
 */
export function exportSecretKeyForLocalStorage(keys: ClientKeys): LocalSecretKey {
  const { seal } = keys.context
  const secretKey = readSecretKey(keys)
  try {
    const bytes = copyBytes(secretKey.saveToArray(sealComprMode(seal, 'zstd')))
    try {
      return localSecretKeyFromStorage(bytes, keys.context.keyParmsIdKey)
    } finally {
      bytes.fill(0)
    }
  } finally {
    secretKey.delete()
  }
}

/**
 * Rebuilds ClientKeys from a stored secret key, under `ctx` (the model's parameters). The evaluation
 * keys (Galois keys for `options.galoisSteps`, relinearization keys) are regenerated from it on demand,
 * like for {@link createClientKeys}.
 * @throws LocalSecretKeyError KEYS_WRONG_PARAMETERS when the key was made under other encryption
 *   parameters; KEYS_MALFORMED when SEAL cannot load the bytes.
 */
export function restoreClientKeys(
  ctx: CkksContext,
  localSecretKey: LocalSecretKey,
  options: ClientKeyOptions,
): ClientKeys {
  if (localSecretKey.parametersId !== ctx.keyParmsIdKey) {
    throw new LocalSecretKeyError(
      'wrong-parameters',
      "the stored secret key was made under other encryption parameters than this model's",
    )
  }
  const { seal } = ctx
  const secretKey = new seal.SecretKey()
  const bytes = localSecretKey.bytesForLocalFile()
  try {
    translateSealExceptions(
      seal,
      () => secretKey.loadFromArray(ctx.context, bytes),
      (info) =>
        new LocalSecretKeyError(
          'malformed',
          `SEAL cannot load the stored secret key (${info.type}: ${info.message})`,
        ),
    )
    return new ClientKeys(ctx, options, constructionToken, secretKey)
  } finally {
    bytes.fill(0)
    secretKey.delete()
  }
}
