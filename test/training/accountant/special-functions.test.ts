import { describe, expect, it } from 'vitest'
import {
  erfc,
  logAdd,
  logErfc,
  logNormalCdf,
  logSub,
} from '../../../training/accountant/special-functions.ts'

/** Relative difference, the measure for values spanning hundreds of decades. */
function relativeError(actual: number, expected: number): number {
  return Math.abs(actual - expected) / Math.abs(expected)
}

describe('erfc and its logarithm', () => {
  // Reference values: SciPy 1.17 special.erfc, and mpmath at 40 digits for the logs.
  it.each([
    [-1.5, 1.9661051464753108],
    [0.2, 0.7772974107895215],
    [1, 0.15729920705028516],
    [2, 0.004677734981047266],
    [3, 2.2090496998585445e-5],
    [10, 2.0884875837625446e-45],
  ])('erfc(%f) matches SciPy to 1e-14 relative', (x, expected) => {
    expect(relativeError(erfc(x), expected)).toBeLessThan(1e-14)
  })

  it.each([
    [5, -27.200889545537434422],
    [30, -903.97411711064387808],
    [300, -90006.276152973059298],
  ])('logErfc(%f) stays accurate where erfc underflows', (x, expected) => {
    expect(relativeError(logErfc(x), expected)).toBeLessThan(1e-14)
  })

  it.each([
    [-40, -804.60844201375378817],
    [-5, -15.064998393988725736],
    [0, -0.69314718055994530942],
    [5, -2.8665161296376359338e-7],
  ])('logNormalCdf(%f) matches mpmath', (x, expected) => {
    expect(relativeError(logNormalCdf(x), expected)).toBeLessThan(1e-12)
  })

  it('erfc is continuous where the series hands over to the continued fraction', () => {
    const below = erfc(2 - 1e-12)
    const above = erfc(2)
    expect(relativeError(below, above)).toBeLessThan(1e-10)
  })
})

describe('log-space sums', () => {
  it('logAdd and logSub invert each other and handle -Infinity', () => {
    expect(logAdd(Math.log(2), Math.log(3))).toBeCloseTo(Math.log(5), 14)
    expect(logSub(Math.log(5), Math.log(3))).toBeCloseTo(Math.log(2), 14)
    expect(logAdd(-Infinity, 1.5)).toBe(1.5)
    expect(logSub(1.5, -Infinity)).toBe(1.5)
    expect(logSub(1.5, 1.5)).toBe(-Infinity)
    expect(logAdd(-1000, -1000)).toBeCloseTo(-1000 + Math.log(2), 12)
  })

  it('logSub refuses a negative result instead of returning a wrong bound', () => {
    expect(() => logSub(1, 2)).toThrow(RangeError)
  })
})
