/** The key store room: interface, filesystem and in-memory implementations. */
export type { EvaluationKeyBytes, KeyRecord, KeyStore, StoredKeys } from './key-store.ts'
export { FileKeyStore, type FileKeyStoreOptions } from './file-key-store.ts'
export { MemoryKeyStore, type MemoryKeyStoreOptions } from './memory-key-store.ts'
export { isKeyId, newKeyId } from './key-id.ts'
