/**
 * The node-seal HeBackend. Every Ciphertext it creates is counted until freed, so tests can check
 * that a query leaves nothing alive (`live`).
 */
import type { Ciphertext, GaloisKeys, RelinKeys } from '../../../core/seal/load.ts'
import { PrivinferError } from '../../../core/errors.ts'
import type { HeBackend } from '../../compiler/plan/backend.ts'
import type { LoadedPlan } from './load-plan.ts'

export interface SealBackend extends HeBackend<Ciphertext> {
  /** Ciphertexts created by this backend and not freed yet. */
  readonly live: number
}

export function createSealBackend(
  loaded: LoadedPlan,
  keys: { galoisKeys: GaloisKeys; relinKeys?: RelinKeys },
): SealBackend {
  const { seal, evaluator } = loaded.ctx
  let live = 0
  const relinKeys = () => {
    if (keys.relinKeys === undefined)
      throw new PrivinferError(
        'KEYS_MALFORMED',
        'the plan multiplies ciphertexts but no relinearization keys were given',
      )
    return keys.relinKeys
  }
  const fresh = () => {
    live++
    return new seal.Ciphertext()
  }
  return {
    get live() {
      return live
    },
    rotate(x, steps) {
      const out = fresh()
      evaluator.rotateVector(x, steps, keys.galoisKeys, out)
      return out
    },
    multiplyPlain(x, id) {
      const out = fresh()
      evaluator.multiplyPlain(x, loaded.plaintexts[id], out)
      return out
    },
    addInPlace(accumulator, x) {
      evaluator.addInplace(accumulator, x)
    },
    addPlainInPlace(x, id) {
      evaluator.addPlainInplace(x, loaded.plaintexts[id])
    },
    squareInPlace(x) {
      evaluator.squareInplace(x)
      evaluator.relinearizeInplace(x, relinKeys())
    },
    multiplyInPlace(accumulator, x) {
      evaluator.multiplyInplace(accumulator, x)
      evaluator.relinearizeInplace(accumulator, relinKeys())
    },
    levelOf: (x) => loaded.ctx.levelOf(x),
    rescaleInPlace(x) {
      evaluator.rescaleToNextInplace(x)
    },
    modSwitchToInPlace(x, level) {
      evaluator.cipherModSwitchToInplace(x, loaded.ctx.parmsIdAtLevel(level))
    },
    clone(x) {
      live++
      // A deep copy: node-seal's embind clone() only adds a handle to the same ciphertext, so an
      // in-place op on the "clone" changed the original (executePlan's input, the giants).
      return x.copy()
    },
    free(x) {
      live--
      x.delete()
    },
  }
}
