/**
 * Wraps a backend and counts its calls by kind and level (tests like "784→128 uses N rotations",
 * and the op mix of the bench). Levels come from `levelOf`, when the wrapped backend can tell.
 */
import type { HeBackend } from '../compiler/plan/backend.ts'

export interface CallCounts {
  rotate: number
  multiplyPlain: number
  add: number
  addPlain: number
  square: number
  multiply: number
  rescale: number
  modSwitch: number
  /** Rotations by level. */
  rotationsByLevel: Record<number, number>
  /** Rotations by step. */
  rotationsByStep: Record<number, number>
}

export function createCountingBackend<C>(
  inner: HeBackend<C>,
  levelOf: (x: C) => number = () => -1,
): HeBackend<C> & { counts: CallCounts } {
  const counts: CallCounts = {
    rotate: 0,
    multiplyPlain: 0,
    add: 0,
    addPlain: 0,
    square: 0,
    multiply: 0,
    rescale: 0,
    modSwitch: 0,
    rotationsByLevel: {},
    rotationsByStep: {},
  }
  return {
    counts,
    rotate(x, steps) {
      counts.rotate++
      const level = levelOf(x)
      counts.rotationsByLevel[level] = (counts.rotationsByLevel[level] ?? 0) + 1
      counts.rotationsByStep[steps] = (counts.rotationsByStep[steps] ?? 0) + 1
      return inner.rotate(x, steps)
    },
    multiplyPlain(x, id) {
      counts.multiplyPlain++
      return inner.multiplyPlain(x, id)
    },
    addInPlace(a, b, correlated) {
      counts.add++
      inner.addInPlace(a, b, correlated)
    },
    addPlainInPlace(x, id) {
      counts.addPlain++
      inner.addPlainInPlace(x, id)
    },
    squareInPlace(x) {
      counts.square++
      inner.squareInPlace(x)
    },
    multiplyInPlace(a, b) {
      counts.multiply++
      inner.multiplyInPlace(a, b)
    },
    levelOf: (x) => inner.levelOf(x),
    rescaleInPlace(x) {
      counts.rescale++
      inner.rescaleInPlace(x)
    },
    modSwitchToInPlace(x, level) {
      counts.modSwitch++
      inner.modSwitchToInPlace(x, level)
    },
    clone: (x) => inner.clone(x),
    free: (x) => inner.free(x),
  }
}
