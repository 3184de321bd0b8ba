/**
 * An in-memory KeyStore for tests and single-process experiments. Same semantics as FileKeyStore.
 */
import type {
  EvaluationKeyBytes,
  KeyRecord,
  KeyStore,
  KeyUsage,
  PutOptions,
  StoredKeys,
} from './key-store.ts'
import { isKeyId } from './key-id.ts'
import {
  type Clock,
  isExpired,
  keyExpired,
  keyNotFound,
  newKeyRecord,
  storedBytesOf,
  copyKeyBytes,
} from './expiry.ts'
import { ANONYMOUS_OWNER, type KeyQuota, QuotaLedger, UNLIMITED_QUOTA } from './quota.ts'

export interface MemoryKeyStoreOptions {
  /** Lifetime of a key set, seconds. */
  ttlSeconds: number
  /** Per-client and total limits (default: none). */
  quota?: KeyQuota
  now?: Clock
}

export class MemoryKeyStore implements KeyStore {
  readonly #entries = new Map<string, StoredKeys>()
  readonly #ttlMs: number
  readonly #now: Clock
  readonly #ledger: QuotaLedger

  constructor(options: MemoryKeyStoreOptions) {
    this.#ttlMs = options.ttlSeconds * 1000
    this.#now = options.now ?? Date.now
    this.#ledger = new QuotaLedger(options.quota ?? UNLIMITED_QUOTA)
  }

  /** Number of key sets held (expired ones included until swept). */
  get size(): number {
    return this.#entries.size
  }

  async put(
    modelId: string,
    keys: EvaluationKeyBytes,
    options: PutOptions = {},
  ): Promise<{ keyId: string; expiresAt: string }> {
    const owner = options.owner ?? ANONYMOUS_OWNER
    const nowMs = this.#now()
    const record = newKeyRecord(modelId, keys, nowMs, this.#ttlMs, owner)
    this.#ledger.assertFits(owner, storedBytesOf(record), nowMs)
    const keyId = record.keyId
    const copy: EvaluationKeyBytes = copyKeyBytes(keys)
    this.#entries.set(keyId, { record, keys: copy })
    this.#ledger.add(keyId, {
      owner,
      bytes: storedBytesOf(record),
      expiresAtMs: Date.parse(record.expiresAt),
    })
    return { keyId, expiresAt: record.expiresAt }
  }

  async describe(keyId: string): Promise<KeyRecord> {
    return this.#live(keyId).record
  }

  async get(keyId: string): Promise<StoredKeys> {
    const entry = this.#live(keyId)
    return {
      record: entry.record,
      keys: copyKeyBytes(entry.keys),
    }
  }

  async delete(keyId: string): Promise<void> {
    if (!isKeyId(keyId) || !this.#entries.delete(keyId)) throw keyNotFound()
    this.#ledger.remove(keyId)
  }

  async usage(owner: string): Promise<KeyUsage> {
    return this.#ledger.usage(owner, this.#now())
  }

  async sweepExpired(): Promise<number> {
    let removed = 0
    for (const [keyId, entry] of this.#entries) {
      if (isExpired(entry.record, this.#now())) {
        this.#remove(keyId)
        removed++
      }
    }
    return removed
  }

  async close(): Promise<void> {}

  #remove(keyId: string): void {
    this.#entries.delete(keyId)
    this.#ledger.remove(keyId)
  }

  #live(keyId: string): StoredKeys {
    const entry = isKeyId(keyId) ? this.#entries.get(keyId) : undefined
    if (!entry) throw keyNotFound()
    if (isExpired(entry.record, this.#now())) {
      this.#remove(keyId)
      throw keyExpired(entry.record)
    }
    return entry
  }
}
