/**
 * Works around a node-seal 7 defect: a C++ exception that escapes to JavaScript does not restore
 * the WebAssembly shadow-stack pointer. Measured here: each caught exception leaks 16 bytes
 * (Ciphertext::load) to 192 bytes (Evaluator::sub) of the 64 KiB stack, and after about 3,700
 * rejected ciphertext uploads the next SEAL call fails with "memory access out of bounds" and the
 * module is corrupt. The guard saves the stack pointer before a SEAL call and restores it when an
 * exception is caught (test/core/seal/exceptions.test.ts runs 5,000 exceptions).
 *
 * The stack functions are not exported on the module object, only by the WebAssembly instance
 * (minified export names, pinned here for node-seal 7.0.x and verified at load time).
 */
import type { SealModule } from './load.ts'

export type WasmExports = WebAssembly.Exports

export interface StackGuard {
  /** Current stack pointer (emscripten_stack_get_current). */
  save(): number
  /** Restores a saved stack pointer (_emscripten_stack_restore). */
  restore(stackPointer: number): void
}

/** node-seal 7.0.0 dist/seal_*.js assignWasmExports: "$" = emscripten_stack_get_current, "Z" = _emscripten_stack_restore, "R" = memory. */
const PINNED_EXPORTS = { stackGetCurrent: '$', stackRestore: 'Z', memory: 'R' } as const

const guards = new WeakMap<SealModule, StackGuard>()
const memories = new WeakMap<SealModule, WebAssembly.Memory>()

/**
 * Finds node-seal's instance among the captured ones, checks the pinned exports against a real
 * exception, and registers the guard. Leaves the module unguarded when the check fails
 * (isSealStackGuarded() then reports false; a test pins it to true).
 */
export function installStackGuard(seal: SealModule, candidates: readonly WasmExports[]): void {
  for (const exports of candidates) {
    const getCurrent = exports[PINNED_EXPORTS.stackGetCurrent]
    const restore = exports[PINNED_EXPORTS.stackRestore]
    const memory = exports[PINNED_EXPORTS.memory]
    if (typeof getCurrent !== 'function' || typeof restore !== 'function') continue
    if (
      !(memory instanceof WebAssembly.Memory) ||
      getCurrent.length !== 0 ||
      restore.length !== 1
    ) {
      continue
    }
    const guard: StackGuard = {
      save: () => getCurrent() as number,
      restore: (stackPointer) => void restore(stackPointer),
    }
    if (verifyGuard(seal, guard)) {
      guards.set(seal, guard)
      memories.set(seal, memory)
      return
    }
  }
}

/** Throws one known C++ exception and checks that the guard restores the stack around it. */
function verifyGuard(seal: SealModule, guard: StackGuard): boolean {
  const before = guard.save()
  if (!Number.isInteger(before) || before <= 0) return false
  try {
    // 61-bit primes are invalid: SEAL throws std::invalid_argument.
    seal.CoeffModulus.Create(4096, Int32Array.from([61])).delete()
    return false
  } catch (error) {
    const leaked = before - guard.save()
    guard.restore(before)
    ;(
      seal as unknown as { decrementExceptionRefcount(error: unknown): void }
    ).decrementExceptionRefcount(error)
    return leaked >= 0 && leaked < 4096 && guard.save() === before
  }
}

/** The stack guard of a loaded module, if it could be installed. */
export function stackGuardOf(seal: SealModule): StackGuard | undefined {
  return guards.get(seal)
}

/** True when C++ exceptions can be caught without leaking the WebAssembly stack. */
export function isSealStackGuarded(seal: SealModule): boolean {
  return guards.has(seal)
}

/**
 * Current size of node-seal's WebAssembly heap, in bytes (it only grows), or undefined when the
 * instance could not be identified. For leak tests and worker metrics.
 */
export function sealHeapBytes(seal: SealModule): number | undefined {
  return memories.get(seal)?.buffer.byteLength
}
