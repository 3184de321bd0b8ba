/**
 * The exact float64 HeBackend: slot vectors in plain float64 arithmetic, with no scale, no level
 * and no noise (rescale and mod-switch are no-ops, every value reads as level 0). With executePlan it is the reference
 * interpretation of a plan that the compiler uses before parameters exist (measure-ranges.ts) and
 * that tests compare the lowering with; service/runtime/plain/float64-backend.ts adds SEAL's level
 * and scale bookkeeping on top of the same arithmetic.
 */
import { rotate } from '../../../core/layout/rotate.ts'
import type { HeBackend } from './backend.ts'
import type { HePlan } from './plan.ts'

export function createExactBackend(plan: Pick<HePlan, 'plaintexts'>): HeBackend<Float64Array> {
  return {
    rotate: (x, steps) => rotate(x, steps),
    multiplyPlain(x, id) {
      const values = plan.plaintexts[id]
      const product = new Float64Array(x.length)
      for (let s = 0; s < x.length; s++) product[s] = x[s] * values[s]
      return product
    },
    addInPlace(accumulator, x) {
      for (let s = 0; s < accumulator.length; s++) accumulator[s] += x[s]
    },
    addPlainInPlace(x, id) {
      const values = plan.plaintexts[id]
      for (let s = 0; s < x.length; s++) x[s] += values[s]
    },
    squareInPlace(x) {
      for (let s = 0; s < x.length; s++) x[s] *= x[s]
    },
    multiplyInPlace(accumulator, x) {
      for (let s = 0; s < accumulator.length; s++) accumulator[s] *= x[s]
    },
    levelOf: () => 0,
    rescaleInPlace() {},
    modSwitchToInPlace() {},
    clone: (x) => Float64Array.from(x),
    free() {},
  }
}
