/**
 * Parameter sets and helpers for the SEAL tests of core/. All at 128-bit security (never
 * SecLevelType.none).
 */
import type { ParameterSet } from '../../../core/ckks/parameter-set.ts'

/** N=8192, 4 data primes (levels 3..0), 208 of 218 bits. */
export const N8192: ParameterSet = Object.freeze({
  polyModulusDegree: 8192,
  coeffModulusBits: [50, 36, 36, 36, 50],
  scaleBits: 36,
})

/** Same N and scale, one level less: other parameters. */
export const N8192_OTHER: ParameterSet = Object.freeze({
  polyModulusDegree: 8192,
  coeffModulusBits: [50, 36, 36, 50],
  scaleBits: 36,
})

/** N=4096, 2 data primes (levels 1..0), 102 of 109 bits: fast. */
export const N4096: ParameterSet = Object.freeze({
  polyModulusDegree: 4096,
  coeffModulusBits: [36, 30, 36],
  scaleBits: 30,
})

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32), so failures reproduce. */
export { seededRandom } from '../../../service/compiler/seeded-random.ts'

/**
 * Largest error expected from encoding + fresh encryption + decryption at scale 2^scaleBits:
 * the fresh noise (about 6σ·√N with σ = 3.2, well under 2^12 for N <= 32768) divided by the scale,
 * with a factor 16 of margin.
 */
export function freshTolerance(params: ParameterSet): number {
  return 2 ** (16 - params.scaleBits)
}

/**
 * Largest error expected after one rotation, one square with relinearization and one rescale, for
 * inputs of magnitude <= 4: the key-switching noise (about L·N·σ·q_max/p <= 2^17 here) is
 * multiplied by 2|x| <= 2^3 when squaring; with a factor 16 of margin, 2^24 units of the scale.
 */
export function evaluatedTolerance(params: ParameterSet): number {
  return 2 ** (24 - params.scaleBits)
}

/** Runs `fn` and returns what it threw (fails the test if nothing was thrown). */
export function thrownBy(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  throw new Error('expected a throw, got none')
}
