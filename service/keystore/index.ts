/** The key store room: interface, filesystem, Redis and in-memory implementations, quotas. */
export type {
  EvaluationKeyBytes,
  KeyRecord,
  KeyStore,
  KeyUsage,
  PutOptions,
  StoredKeys,
} from './key-store.ts'
export { FileKeyStore, type FileKeyStoreOptions } from './file-key-store.ts'
export { MemoryKeyStore, type MemoryKeyStoreOptions } from './memory-key-store.ts'
export { RedisKeyStore, type RedisKeyStoreOptions } from './redis-key-store.ts'
export { isKeyId, keyIdDigest, newKeyId } from './key-id.ts'
export { ANONYMOUS_OWNER, type KeyQuota, ownerDigest, UNLIMITED_QUOTA } from './quota.ts'
