/**
 * C++ exceptions thrown inside node-seal reach JavaScript as `WebAssembly.Exception` objects whose
 * `message` is the pair [type, what()] (e.g. ['std::logic_error', 'incompatible version']).
 * The C++ exception object stays allocated in the WebAssembly heap until its reference count is
 * decremented, so every caught SEAL exception must go through {@link releaseSealException}.
 */
import type { SealModule } from './load.ts'

/** What a SEAL exception said: the C++ exception type and its `what()` message. */
export interface SealExceptionInfo {
  type: string
  message: string
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
 * Reads a SEAL exception's type and message and frees the C++ exception object.
 * Returns undefined when `error` is not a SEAL exception (a JS error, or a WebAssembly trap such as
 * an out-of-memory abort, after which the module must not be used any more).
 * Call it at most once per caught exception.
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
    info = { type, message }
  } finally {
    module.decrementExceptionRefcount(error)
  }
  return info
}

/**
 * Runs `operation`; if SEAL throws a C++ exception, frees it and throws `toError(info)` instead
 * (with the original as `cause` left out on purpose: it is a freed WebAssembly handle).
 * JavaScript errors and WebAssembly traps are rethrown unchanged.
 */
export function translateSealExceptions<T>(
  seal: SealModule,
  operation: () => T,
  toError: (info: SealExceptionInfo) => Error,
): T {
  try {
    return operation()
  } catch (error) {
    const info = releaseSealException(seal, error)
    if (info === undefined) throw error
    throw toError(info)
  }
}
