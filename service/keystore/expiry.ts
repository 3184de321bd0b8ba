/**
 * Expiry arithmetic shared by the key stores. Times are milliseconds since the epoch (`Date.now()`).
 */
import { PrivinferError } from '../../core/errors.ts'
import type { EvaluationKeyBytes, KeyRecord } from './key-store.ts'
import { newKeyId } from './key-id.ts'
import { ANONYMOUS_OWNER } from './quota.ts'

/** A clock in milliseconds since the epoch; injectable so tests need not wait. */
export type Clock = () => number

/** The record of a key set stored now under a fresh id, expiring `ttlMs` later. */
export function newKeyRecord(
  modelId: string,
  keys: EvaluationKeyBytes,
  nowMs: number,
  ttlMs: number,
  owner: string = ANONYMOUS_OWNER,
): KeyRecord {
  return {
    keyId: newKeyId(),
    modelId,
    createdAt: new Date(nowMs).toISOString(),
    expiresAt: new Date(nowMs + ttlMs).toISOString(),
    galoisKeyBytes: keys.galoisKeys.byteLength,
    relinKeyBytes: keys.relinKeys?.byteLength ?? 0,
    ...(keys.publicKey ? { publicKeyBytes: keys.publicKey.byteLength } : {}),
    owner,
  }
}

export function isExpired(record: KeyRecord, nowMs: number): boolean {
  return Date.parse(record.expiresAt) <= nowMs
}

export function keyNotFound(): PrivinferError {
  // The id is not echoed back: it is a bearer capability.
  return new PrivinferError(
    'KEY_NOT_FOUND',
    'no keys with this id (never uploaded, deleted, or swept)',
  )
}

export function keyExpired(record: KeyRecord): PrivinferError {
  return new PrivinferError(
    'KEY_EXPIRED',
    `the keys expired at ${record.expiresAt}; upload new keys`,
    {
      expiresAt: record.expiresAt,
    },
  )
}

/** Bytes a key set occupies in a store (what the quotas count). */
export function storedBytesOf(record: KeyRecord): number {
  return record.galoisKeyBytes + record.relinKeyBytes + (record.publicKeyBytes ?? 0)
}

/** The same key bytes, each array copied (stores hand out and keep copies). */
export function copyKeyBytes(keys: EvaluationKeyBytes): EvaluationKeyBytes {
  return {
    galoisKeys: keys.galoisKeys.slice(),
    ...(keys.relinKeys ? { relinKeys: keys.relinKeys.slice() } : {}),
    ...(keys.publicKey ? { publicKey: keys.publicKey.slice() } : {}),
  }
}
