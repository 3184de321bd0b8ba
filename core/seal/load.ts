/**
 * Loads node-seal (Microsoft SEAL 4.1 compiled to WebAssembly) once per thread.
 *
 * node-seal 7 is a raw embind API: every object it returns must be freed with `.delete()`
 * (there are no finalizers). The "throws" build is used: any operation that would produce a
 * transparent ciphertext throws instead.
 */
import SEAL, { type MainModule } from 'node-seal'

/** The node-seal module: constructors (`seal.Ciphertext`, `seal.SEALContext`, ...) and enums. */
export type SealModule = MainModule

export type {
  Ciphertext,
  CKKSEncoder,
  ContextData,
  Decryptor,
  EncryptionParameters,
  Encryptor,
  Evaluator,
  GaloisKeys,
  KeyGenerator,
  ParmsIdType,
  Plaintext,
  PublicKey,
  RelinKeys,
  SEALContext,
  SecretKey,
  ComprModeType,
} from 'node-seal'

let sealPromise: Promise<SealModule> | undefined

/**
 * Returns the node-seal module, instantiating the WebAssembly on the first call only
 * (later calls share the same promise; a failed load is retried on the next call).
 *
 * Each worker thread has its own module instance, heap and objects; never pass SEAL objects
 * between threads (pass their serialized bytes).
 */
export function loadSeal(): Promise<SealModule> {
  if (sealPromise === undefined) {
    sealPromise = SEAL().catch((error: unknown) => {
      sealPromise = undefined
      throw error
    })
  }
  return sealPromise
}
