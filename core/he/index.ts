/**
 * Client-side HE (keys, encryption of inputs, decryption of outputs) and the server-side loading of
 * evaluation keys. The secret key never leaves a ClientKeys object: see client-keys.ts.
 */
export {
  ClientKeys,
  createClientKeys,
  exportSecretKeyForLocalStorage,
  restoreClientKeys,
  type ClientKeyOptions,
  type EncryptedInput,
  type EncryptOptions,
  type LocalEvaluationKeys,
} from './client-keys.ts'
export {
  LocalSecretKey,
  LocalSecretKeyError,
  localSecretKeyFromStorage,
  type LocalSecretKeyProblem,
} from './local-secret-key.ts'
export { encryptInput, type EncryptInputOptions } from './encrypt-input.ts'
export { decryptOutput } from './decrypt-output.ts'
export {
  loadEvaluationKeys,
  type EvaluationKeyRequirements,
  type EvaluationKeys,
} from './evaluation-keys.ts'
export { packInput, unpackOutput } from './slots.ts'
export type { EvaluationKeyBundle, ReceivedKeyBytes } from '../wire/evaluation-key-bundle.ts'
