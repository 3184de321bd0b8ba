/**
 * The key store: evaluation keys (Galois and relinearization keys, as uploaded, SEAL-serialized) by an
 * unguessable id, with an expiry. It holds public evaluation material only: there is no field for a
 * secret key anywhere in this interface.
 *
 * Implementations: `FileKeyStore` (default: one machine, one process, one folder per key set under
 * keys/), `RedisKeyStore` (KEY_STORE=redis://...: shared by stateless replicas, expiry by Redis) and
 * `MemoryKeyStore` (tests). All three enforce the same per-client quotas (service/keystore/quota.ts).
 */

/** Uploaded evaluation keys, exactly the bytes the client sent (possibly seed-compressed). */
export interface EvaluationKeyBytes {
  /** SEAL-serialized GaloisKeys. */
  readonly galoisKeys: Uint8Array
  /** SEAL-serialized RelinKeys, absent when the model does not need them. */
  readonly relinKeys?: Uint8Array
  /** SEAL-serialized PublicKey, only for a model served with noise flooding (card.he.flooding). */
  readonly publicKey?: Uint8Array
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
  /** Size of the stored public key (noise flooding only), bytes; absent = none. */
  readonly publicKeyBytes?: number
  /**
   * The uploading client, as an opaque digest (service/keystore/quota.ts `ownerDigest`): quotas are
   * counted per owner. Never a raw token or address.
   */
  readonly owner: string
}

export interface StoredKeys {
  readonly record: KeyRecord
  readonly keys: EvaluationKeyBytes
}

/** Live key sets and their bytes held for one owner. */
export interface KeyUsage {
  readonly keySets: number
  readonly keyBytes: number
}

export interface PutOptions {
  /** The uploading client's digest (default: the anonymous owner, one quota for everyone). */
  readonly owner?: string
}

export interface KeyStore {
  /**
   * Stores validated keys for `modelId`; returns the new id and its expiry (ISO-8601).
   * Throws KEY_QUOTA_EXCEEDED (the owner's live key sets or bytes would pass the quota),
   * KEY_STORAGE_FULL (the store's total would pass its bound), KEY_STORE_UNAVAILABLE.
   * The quota check and the write are one atomic step, also across replicas sharing the store.
   */
  put(
    modelId: string,
    keys: EvaluationKeyBytes,
    options?: PutOptions,
  ): Promise<{ keyId: string; expiresAt: string }>
  /** The record only (cheap). Throws KEY_NOT_FOUND, or KEY_EXPIRED (and removes the keys). */
  describe(keyId: string): Promise<KeyRecord>
  /** Record and bytes. Throws KEY_NOT_FOUND, or KEY_EXPIRED (and removes the keys). */
  get(keyId: string): Promise<StoredKeys>
  /** Removes the keys at once. Throws KEY_NOT_FOUND when there is nothing to remove. */
  delete(keyId: string): Promise<void>
  /** The owner's live key sets and bytes (a cheap pre-check before validating an upload). */
  usage(owner: string): Promise<KeyUsage>
  /** Removes every expired key set; returns how many were removed. */
  sweepExpired(): Promise<number>
  /** Releases connections and timers (no-op for local stores). */
  close(): Promise<void>
}
