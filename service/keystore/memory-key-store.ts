/**
 * An in-memory KeyStore for tests and single-process experiments. Same semantics as FileKeyStore.
 */
import type { EvaluationKeyBytes, KeyRecord, KeyStore, StoredKeys } from './key-store.ts'
import { isKeyId } from './key-id.ts'
import { type Clock, isExpired, keyExpired, keyNotFound, newKeyRecord } from './expiry.ts'

export interface MemoryKeyStoreOptions {
  /** Lifetime of a key set, seconds. */
  ttlSeconds: number
  now?: Clock
}

export class MemoryKeyStore implements KeyStore {
  readonly #entries = new Map<string, StoredKeys>()
  readonly #ttlMs: number
  readonly #now: Clock

  constructor(options: MemoryKeyStoreOptions) {
    this.#ttlMs = options.ttlSeconds * 1000
    this.#now = options.now ?? Date.now
  }

  /** Number of key sets held (expired ones included until swept). */
  get size(): number {
    return this.#entries.size
  }

  async put(
    modelId: string,
    keys: EvaluationKeyBytes,
  ): Promise<{ keyId: string; expiresAt: string }> {
    const record = newKeyRecord(modelId, keys, this.#now(), this.#ttlMs)
    const keyId = record.keyId
    const copy: EvaluationKeyBytes = {
      galoisKeys: keys.galoisKeys.slice(),
      ...(keys.relinKeys ? { relinKeys: keys.relinKeys.slice() } : {}),
    }
    this.#entries.set(keyId, { record, keys: copy })
    return { keyId, expiresAt: record.expiresAt }
  }

  async describe(keyId: string): Promise<KeyRecord> {
    return this.#live(keyId).record
  }

  async get(keyId: string): Promise<StoredKeys> {
    const entry = this.#live(keyId)
    return {
      record: entry.record,
      keys: {
        galoisKeys: entry.keys.galoisKeys.slice(),
        ...(entry.keys.relinKeys ? { relinKeys: entry.keys.relinKeys.slice() } : {}),
      },
    }
  }

  async delete(keyId: string): Promise<void> {
    if (!isKeyId(keyId) || !this.#entries.delete(keyId)) throw keyNotFound()
  }

  async sweepExpired(): Promise<number> {
    let removed = 0
    for (const [keyId, entry] of this.#entries) {
      if (isExpired(entry.record, this.#now())) {
        this.#entries.delete(keyId)
        removed++
      }
    }
    return removed
  }

  #live(keyId: string): StoredKeys {
    const entry = isKeyId(keyId) ? this.#entries.get(keyId) : undefined
    if (!entry) throw keyNotFound()
    if (isExpired(entry.record, this.#now())) {
      this.#entries.delete(keyId)
      throw keyExpired(entry.record)
    }
    return entry
  }
}
