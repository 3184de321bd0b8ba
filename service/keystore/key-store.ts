/**
 * The key store: evaluation keys (Galois and relinearization keys, as uploaded, SEAL-serialized) by an
 * unguessable id, with an expiry. It holds public evaluation material only: there is no field for a
 * secret key anywhere in this interface.
 *
 * Implementations: `FileKeyStore` (default, one folder per key under keys/) and `MemoryKeyStore` (tests).
 * A shared store (e.g. Redis or S3) implementing the same interface lets several replicas serve one key id.
 */

/** Uploaded evaluation keys, exactly the bytes the client sent (possibly seed-compressed). */
export interface EvaluationKeyBytes {
  /** SEAL-serialized GaloisKeys. */
  readonly galoisKeys: Uint8Array
  /** SEAL-serialized RelinKeys, absent when the model does not need them. */
  readonly relinKeys?: Uint8Array
}

/** What the store remembers about a key set besides its bytes (metadata.json on disk). */
export interface KeyRecord {
  readonly keyId: string
  readonly modelId: string
  /** ISO-8601 timestamps. */
  readonly createdAt: string
  readonly expiresAt: string
  /** Sizes of the stored files, bytes. */
  readonly galoisKeyBytes: number
  readonly relinKeyBytes: number
}

export interface StoredKeys {
  readonly record: KeyRecord
  readonly keys: EvaluationKeyBytes
}

export interface KeyStore {
  /** Stores validated keys for `modelId`; returns the new id and its expiry (ISO-8601). */
  put(modelId: string, keys: EvaluationKeyBytes): Promise<{ keyId: string; expiresAt: string }>
  /** The record only (cheap). Throws KEY_NOT_FOUND, or KEY_EXPIRED (and removes the keys). */
  describe(keyId: string): Promise<KeyRecord>
  /** Record and bytes. Throws KEY_NOT_FOUND, or KEY_EXPIRED (and removes the keys). */
  get(keyId: string): Promise<StoredKeys>
  /** Removes the keys at once. Throws KEY_NOT_FOUND when there is nothing to remove. */
  delete(keyId: string): Promise<void>
  /** Removes every expired key set; returns how many were removed. */
  sweepExpired(): Promise<number>
}
