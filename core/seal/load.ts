/**
 * Loads node-seal (Microsoft SEAL 4.1 compiled to WebAssembly) once per thread.
 *
 * node-seal 7 is a raw embind API: every object it returns must be freed with `.delete()`
 * (there are no finalizers). The "throws" build is used: any operation that would produce a
 * transparent ciphertext throws instead.
 *
 * While loading, the WebAssembly instance's exports are captured so that C++ exceptions can be
 * survived: see core/seal/exceptions.ts (every SEAL call that may throw goes through `callSeal`).
 */
import SEAL, { type MainModule } from 'node-seal'
import { installStackGuard, type WasmExports } from './stack-guard.ts'

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
    sealPromise = instantiateSeal().catch((error: unknown) => {
      sealPromise = undefined
      throw error
    })
  }
  return sealPromise
}

type Instantiate = (...args: unknown[]) => Promise<unknown>

/**
 * Instantiates node-seal while watching WebAssembly.instantiate(Streaming) for its instance, whose
 * exports hold the stack-pointer functions the exception guard needs. The originals are restored
 * as soon as node-seal has loaded.
 */
async function instantiateSeal(): Promise<SealModule> {
  const wasm = WebAssembly as unknown as Record<'instantiate' | 'instantiateStreaming', Instantiate>
  const originalInstantiate = wasm.instantiate
  const originalStreaming = wasm.instantiateStreaming
  const candidates: WasmExports[] = []
  const capture = (result: unknown) => {
    const instance =
      result instanceof WebAssembly.Instance ? result : (result as { instance?: unknown }).instance
    if (instance instanceof WebAssembly.Instance) candidates.push(instance.exports)
    return result
  }
  wasm.instantiate = function (this: unknown, ...args: unknown[]) {
    return originalInstantiate.apply(this, args).then(capture)
  }
  if (typeof originalStreaming === 'function') {
    wasm.instantiateStreaming = function (this: unknown, ...args: unknown[]) {
      return originalStreaming.apply(this, args).then(capture)
    }
  }
  let seal: SealModule
  try {
    seal = await SEAL()
  } finally {
    wasm.instantiate = originalInstantiate
    if (typeof originalStreaming === 'function') wasm.instantiateStreaming = originalStreaming
  }
  installStackGuard(seal, candidates)
  return seal
}
