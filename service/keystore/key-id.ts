/**
 * Key ids: 24 random bytes (192 bits) from the OS CSPRNG, base64url without padding (32 characters).
 * Knowing an id is what lets a caller use or delete the keys, so it must be unguessable.
 */
import { createHash, randomBytes } from 'node:crypto'

/** Byte length of the random part of a key id (>= 16 as the design asks). */
export const KEY_ID_BYTES = 24

const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{32}$/

/** A fresh unguessable key id. */
export function newKeyId(): string {
  return randomBytes(KEY_ID_BYTES).toString('base64url')
}

/** True when `value` has the shape of a key id (checked before it touches a path or a map). */
export function isKeyId(value: unknown): value is string {
  return typeof value === 'string' && KEY_ID_PATTERN.test(value)
}

/**
 * The name a key set is stored under (a folder in keys/, a Redis key): SHA-256 of the id, base64url.
 * Listing the store's names (another local user reading keys/, an operator running SCAN) therefore
 * yields no usable id: the id itself is never written anywhere as a name or a value.
 */
export function keyIdDigest(keyId: string): string {
  return createHash('sha256').update(keyId).digest('base64url')
}
