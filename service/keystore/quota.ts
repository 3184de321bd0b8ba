/**
 * Per-client quotas on stored evaluation keys, and a bound on the store's total.
 *
 * An evaluation-key set is several MB (mnist-mlp: 4.7 MB as sent) and lives for KEY_TTL_SECONDS, so
 * without a bound one client can fill a disk or a Redis instance in minutes. The limits are counted
 * per owner: the client's bearer token when the service has tokens (AUTH_TOKEN), else its source
 * address (X-Forwarded-For only with TRUST_PROXY; service/http/client-identity.ts). The store keeps a
 * digest of that identity, never the token itself.
 *
 * `QuotaLedger` is the in-process accounting of the file and memory stores; RedisKeyStore does the
 * same arithmetic inside one Lua script so that replicas cannot race past a limit.
 */
import { createHash } from 'node:crypto'
import { PrivinferError } from '../../core/errors.ts'
import type { KeyUsage } from './key-store.ts'

export interface KeyQuota {
  /** Live key sets per owner (0: unlimited). */
  readonly maxKeySetsPerClient: number
  /** Stored key bytes per owner (0: unlimited). */
  readonly maxKeyBytesPerClient: number
  /** Stored key bytes in the whole store (0: unlimited). */
  readonly maxTotalKeyBytes: number
}

export const UNLIMITED_QUOTA: KeyQuota = Object.freeze({
  maxKeySetsPerClient: 0,
  maxKeyBytesPerClient: 0,
  maxTotalKeyBytes: 0,
})

/** The owner of uploads when no identity is given (tests, single-user tools). */
export const ANONYMOUS_OWNER = ownerDigest('anonymous')

/** An opaque, fixed-length name for a client identity ("token:..." or "ip:..."). */
export function ownerDigest(identity: string): string {
  return createHash('sha256')
    .update(`privinfer-owner\0${identity}`)
    .digest('base64url')
    .slice(0, 32)
}

/** Why a put would pass a limit, or undefined when it fits. */
export type QuotaVerdict =
  | { kind: 'key-sets'; used: number; max: number }
  | { kind: 'key-bytes'; used: number; max: number }
  | { kind: 'total-bytes'; max: number }

/** Decides whether `bytes` more fit, given the owner's usage and the store's total. */
export function checkQuota(
  quota: KeyQuota,
  owner: KeyUsage,
  totalBytes: number,
  bytes: number,
): QuotaVerdict | undefined {
  if (quota.maxKeySetsPerClient > 0 && owner.keySets + 1 > quota.maxKeySetsPerClient)
    return { kind: 'key-sets', used: owner.keySets, max: quota.maxKeySetsPerClient }
  if (quota.maxKeyBytesPerClient > 0 && owner.keyBytes + bytes > quota.maxKeyBytesPerClient)
    return { kind: 'key-bytes', used: owner.keyBytes, max: quota.maxKeyBytesPerClient }
  if (quota.maxTotalKeyBytes > 0 && totalBytes + bytes > quota.maxTotalKeyBytes)
    return { kind: 'total-bytes', max: quota.maxTotalKeyBytes }
  return undefined
}

/** The problem for a verdict: KEY_QUOTA_EXCEEDED (429) or KEY_STORAGE_FULL (507). */
export function quotaError(verdict: QuotaVerdict, bytes: number): PrivinferError {
  switch (verdict.kind) {
    case 'key-sets':
      return new PrivinferError(
        'KEY_QUOTA_EXCEEDED',
        `this client already holds ${verdict.used} live key sets, the most allowed is ${verdict.max}; ` +
          'delete unused keys (DELETE /v1/keys/{keyId}) or wait until they expire',
        { limit: 'keySets', used: verdict.used, max: verdict.max },
      )
    case 'key-bytes':
      return new PrivinferError(
        'KEY_QUOTA_EXCEEDED',
        `this client's stored keys (${verdict.used} bytes) plus this upload (${bytes} bytes) pass ` +
          `its quota of ${verdict.max} bytes; delete unused keys or wait until they expire`,
        { limit: 'keyBytes', used: verdict.used, max: verdict.max, bytes },
      )
    case 'total-bytes':
      return new PrivinferError(
        'KEY_STORAGE_FULL',
        'the service has no room for more evaluation keys now; retry later',
        { bytes },
      )
  }
}

interface LedgerEntry {
  owner: string
  bytes: number
  expiresAtMs: number
}

/** In-process quota accounting (FileKeyStore, MemoryKeyStore), by key-set digest. */
export class QuotaLedger {
  readonly #quota: KeyQuota
  readonly #entries = new Map<string, LedgerEntry>()

  constructor(quota: KeyQuota) {
    this.#quota = quota
  }

  /** Throws KEY_QUOTA_EXCEEDED or KEY_STORAGE_FULL when `bytes` more for `owner` do not fit. */
  assertFits(owner: string, bytes: number, nowMs: number): void {
    this.#forgetExpired(nowMs)
    const verdict = checkQuota(this.#quota, this.usage(owner, nowMs), this.totalBytes(), bytes)
    if (verdict) throw quotaError(verdict, bytes)
  }

  add(digest: string, entry: LedgerEntry): void {
    this.#entries.set(digest, entry)
  }

  remove(digest: string): void {
    this.#entries.delete(digest)
  }

  usage(owner: string, nowMs: number): KeyUsage {
    let keySets = 0
    let keyBytes = 0
    for (const entry of this.#entries.values()) {
      if (entry.owner !== owner || entry.expiresAtMs <= nowMs) continue
      keySets++
      keyBytes += entry.bytes
    }
    return { keySets, keyBytes }
  }

  totalBytes(): number {
    let total = 0
    for (const entry of this.#entries.values()) total += entry.bytes
    return total
  }

  #forgetExpired(nowMs: number): void {
    for (const [digest, entry] of this.#entries)
      if (entry.expiresAtMs <= nowMs) this.#entries.delete(digest)
  }
}
