/**
 * A client's secret key, serialized for LOCAL storage only (a keys directory on the client's own disk,
 * client/node/key-directory.ts). Made by `exportSecretKeyForLocalStorage` (client-keys.ts), turned back
 * into keys by `restoreClientKeys`.
 *
 * It is deliberately not a Uint8Array and not an {@link EvaluationKeyBundle} or EncryptedInput: the bytes
 * sit in a private field, so no upload function of client/service-api.ts accepts it (a test checks this
 * with @ts-expect-error), and JSON.stringify / util.inspect show only its public description.
 */
import { PrivinferError, type ErrorCode } from '../errors.ts'

/** Why a local secret key was refused. */
export type LocalSecretKeyProblem = 'malformed' | 'wrong-parameters'

/**
 * A local secret key that cannot be used: corrupt bytes (KEYS_MALFORMED) or a key made under other
 * encryption parameters than the model's (KEYS_WRONG_PARAMETERS).
 */
export class LocalSecretKeyError extends PrivinferError {
  readonly problem: LocalSecretKeyProblem
  constructor(problem: LocalSecretKeyProblem, message: string, options?: ErrorOptions) {
    const code: ErrorCode = problem === 'malformed' ? 'KEYS_MALFORMED' : 'KEYS_WRONG_PARAMETERS'
    super(code, message, { problem }, options)
    this.problem = problem
  }
}

/** Hex parms_id of a context's key level: identifies the encryption parameters (SEAL hashes them). */
const PARMS_ID_PATTERN = /^[0-9a-f]{64}$/

export class LocalSecretKey {
  /**
   * Hex parms_id of SEAL's key level for the parameters the key was made under (SEAL derives it by
   * hashing the encryption parameters): the key loads only in a context with the same one.
   */
  readonly parametersId: string
  readonly #bytes: Uint8Array

  /** Use exportSecretKeyForLocalStorage (client-keys.ts) or {@link localSecretKeyFromStorage}. */
  constructor(bytes: Uint8Array, parametersId: string, token: typeof constructionToken) {
    if (token !== constructionToken) throw new TypeError('use exportSecretKeyForLocalStorage()')
    if (!PARMS_ID_PATTERN.test(parametersId)) {
      throw new LocalSecretKeyError(
        'malformed',
        'the parameters id of a local secret key must be 64 hex digits',
      )
    }
    if (bytes.length === 0) throw new LocalSecretKeyError('malformed', 'empty local secret key')
    this.#bytes = Uint8Array.from(bytes)
    this.parametersId = parametersId
  }

  get byteLength(): number {
    return this.#bytes.length
  }

  /**
   * A copy of the SEAL-serialized secret key, to write to a file the owner alone can read. Never send
   * these bytes anywhere.
   */
  bytesForLocalFile(): Uint8Array {
    return Uint8Array.from(this.#bytes)
  }

  /** Overwrites the in-memory copy with zeros (the object is unusable afterwards). */
  wipe(): void {
    this.#bytes.fill(0)
  }

  /** Public description only. */
  toJSON(): { kind: 'LocalSecretKey'; parametersId: string; byteLength: number } {
    return { kind: 'LocalSecretKey', parametersId: this.parametersId, byteLength: this.byteLength }
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `LocalSecretKey { parametersId: ${this.parametersId.slice(0, 16)}…, ${this.byteLength} bytes }`
  }
}

const constructionToken = Symbol('LocalSecretKey')

/**
 * Wraps bytes read back from local storage (what `bytesForLocalFile()` returned) with the parameters id
 * recorded next to them. Nothing is validated against SEAL here; `restoreClientKeys` does that.
 * @throws LocalSecretKeyError malformed for empty bytes or an id that is not 64 hex digits.
 */
export function localSecretKeyFromStorage(bytes: Uint8Array, parametersId: string): LocalSecretKey {
  return new LocalSecretKey(bytes, parametersId, constructionToken)
}
