/**
 * Surviving C++ exceptions thrown inside node-seal.
 *
 * They reach JavaScript as `WebAssembly.Exception` objects whose `message` is the pair
 * [type, what()] (e.g. ['std::logic_error', 'incompatible version']). Two things must then be
 * undone, or the module dies after a few thousand exceptions (stack-guard.ts):
 * - the WebAssembly stack pointer, which the escaping exception leaves lowered;
 * - the C++ exception object's reference count, which keeps it allocated (about 75 bytes each).
 * So every SEAL call that may throw (loading untrusted bytes, evaluator operations that may meet a
 * transparent result or a missing key, encoding large values) goes through {@link callSeal}.
 */
import type { SealModule } from './load.ts'
import { stackGuardOf } from './stack-guard.ts'

/** What a SEAL exception said: the C++ exception type and its `what()` message. */
export interface SealExceptionInfo {
  type: string
  message: string
}

/** A C++ exception thrown by SEAL, already released. */
export class SealError extends Error {
  /** The C++ exception type, e.g. std::invalid_argument. */
  readonly cppType: string
  /** The C++ exception's what(). */
  readonly what: string
  constructor(info: SealExceptionInfo) {
    super(`SEAL ${info.type}: ${info.message}`)
    this.name = 'SealError'
    this.cppType = info.type
    this.what = info.message
  }
}

interface WasmExceptionConstructor {
  new (...args: never[]): object
}

const WasmException = (
  globalThis.WebAssembly as unknown as { Exception?: WasmExceptionConstructor }
)?.Exception

/** True when `error` is a C++ exception thrown by SEAL (not a JS error or a WebAssembly trap). */
export function isSealException(error: unknown): boolean {
  return WasmException !== undefined && error instanceof WasmException
}

/**
 * Reads a SEAL exception's type and message and frees the C++ exception object. Returns undefined
 * when `error` is not a SEAL exception (a JS error, or a WebAssembly trap such as an out-of-memory
 * abort, after which the module must not be used any more). Call it at most once per exception,
 * and prefer {@link callSeal}, which also restores the stack.
 */
export function releaseSealException(
  seal: SealModule,
  error: unknown,
): SealExceptionInfo | undefined {
  if (!isSealException(error)) return undefined
  const module = seal as unknown as {
    getExceptionMessage(error: unknown): [string, string]
    decrementExceptionRefcount(error: unknown): void
  }
  let info: SealExceptionInfo = { type: 'unknown', message: 'unknown SEAL exception' }
  try {
    const [type, message] = module.getExceptionMessage(error)
    info = { type, message: message ?? '' }
  } finally {
    module.decrementExceptionRefcount(error)
  }
  return info
}

/**
 * Runs a synchronous SEAL operation. If SEAL throws a C++ exception, restores the WebAssembly
 * stack pointer, frees the exception and throws a {@link SealError} instead. JavaScript errors and
 * WebAssembly traps are rethrown unchanged (the stack is restored for them too).
 * @throws SealError
 */
export function callSeal<T>(seal: SealModule, operation: () => T): T {
  const guard = stackGuardOf(seal)
  const stackPointer = guard?.save()
  try {
    return operation()
  } catch (error) {
    if (guard !== undefined && stackPointer !== undefined) guard.restore(stackPointer)
    const info = releaseSealException(seal, error)
    if (info === undefined) throw error
    throw new SealError(info)
  }
}

/**
 * Runs `operation` through {@link callSeal}; a SEAL exception becomes `toError(info)` (typed for the
 * caller, e.g. CiphertextMalformedError). JavaScript errors and traps are rethrown unchanged.
 */
export function translateSealExceptions<T>(
  seal: SealModule,
  operation: () => T,
  toError: (info: SealExceptionInfo) => Error,
): T {
  try {
    return callSeal(seal, operation)
  } catch (error) {
    if (error instanceof SealError) {
      throw toError({ type: error.cppType, message: error.what })
    }
    throw error
  }
}
