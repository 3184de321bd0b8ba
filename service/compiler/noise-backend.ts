/**
 * The noise backend: runs a plan (plan/execute-plan.ts) on exact slot values and carries, per slot,
 * the standard deviation of the CKKS error a real run would add (in value units), with the levels
 * and scales of the scale schedule. tolerance.ts derives the HE-vs-float64 bound from it.
 *
 * Error model (CKKS noise heuristics of Costache, Curtis, Hales, Murphy, Ozbudak, Player, "On the
 * precision loss in approximate homomorphic encryption", eprint 2022/162; σ = 3.2, ternary secret
 * of weight h ≈ 2N/3; per slot, in value units):
 * - fresh encryption + encoding: sqrt(N σ² + N/12) / scale;
 * - plaintext rounding: sqrt(N/12) / plaintextScale, times |x| of the slot it multiplies;
 * - rescale: sqrt(N/12 · (1 + h)) / (scale after);
 * - key switching (rotation, relinearization): sqrt((ℓ + 1) N/12) · σ · sqrt(N) · q_max / P / scale;
 * - products: x ⊙ p scales the deviation by |p|; x² by 2|x|; a ⊙ b by |b| σ_a + |a| σ_b (linear:
 *   the two may share an error source);
 * - additions of independent errors add variances; of correlated ones (a polynomial's terms, all
 *   derived from one ciphertext) deviations, which bounds any correlation.
 * Mod-switching drops primes exactly and adds nothing. Each source is a complex Gaussian in the
 * slot domain (a sum over the N coefficients); decoding keeps its real part, with half the
 * variance, so every source's deviation is divided by √2 (REAL_PART).
 */
import type { HeBackend } from './plan/backend.ts'
import type { HePlan } from './plan/plan.ts'
import type { HeParameters } from './he-parameters.ts'
import { rotate } from '../../core/layout/rotate.ts'
import { scheduleScales } from './scale-schedule.ts'

const SIGMA = 3.2
const REAL_PART = Math.SQRT1_2

export interface NoisyValue {
  values: Float64Array
  /** Standard deviation of the error per slot, in value units. */
  deviation: Float64Array
  level: number
  scale: number
}

export interface NoiseBackend extends HeBackend<NoisyValue> {
  /** A fresh encryption of packed slots at the plan's input level and scale. */
  encrypt(slots: Float64Array): NoisyValue
}

/**
 * Standard deviations (in coefficient units, before dividing by the scale) of CKKS's noise sources
 * per slot, real part: encoding rounding, a rescale, a key switch at a level, a fresh encryption.
 * Shared by the slot-plan and feature-plan noise models.
 */
export function ckksNoiseTerms(
  parameters: HeParameters,
  primes: readonly number[],
): {
  rounding: number
  rescaleNoise: number
  keySwitchNoise: (level: number) => number
  freshNoise: number
} {
  const n = parameters.polyModulusDegree
  const special = 2 ** parameters.coeffModulusBits[parameters.coeffModulusBits.length - 1]
  const maxPrime = Math.max(...primes)
  return {
    rounding: REAL_PART * Math.sqrt(n / 12),
    rescaleNoise: REAL_PART * Math.sqrt((n / 12) * (1 + (2 * n) / 3)),
    keySwitchNoise: (level) =>
      REAL_PART * Math.sqrt((level + 1) * (n / 12)) * SIGMA * Math.sqrt(n) * (maxPrime / special),
    freshNoise: REAL_PART * Math.sqrt(n * SIGMA * SIGMA + n / 12),
  }
}

/** @param primes data primes q0..q(L-1) as doubles (nominal 2^bits or a SEAL context's). */
export function createNoiseBackend(
  plan: HePlan,
  parameters: HeParameters,
  primes: readonly number[],
): NoiseBackend {
  const schedule = scheduleScales(plan, parameters, primes)
  const { rounding, rescaleNoise, keySwitchNoise, freshNoise } = ckksNoiseTerms(parameters, primes)
  /** deviation ← sqrt(deviation² + extra²) per slot. */
  const addIndependent = (deviation: Float64Array, extra: number) => {
    const extra2 = extra * extra
    for (let s = 0; s < deviation.length; s++)
      deviation[s] = Math.sqrt(deviation[s] * deviation[s] + extra2)
  }
  const spec = (id: number) => schedule.plaintexts[id]
  return {
    encrypt(slots) {
      const scale = 2 ** parameters.scaleBits
      const deviation = new Float64Array(slots.length).fill(freshNoise / scale)
      return { values: Float64Array.from(slots), deviation, level: plan.depth, scale }
    },
    rotate(x, steps) {
      const deviation = rotate(x.deviation, steps)
      addIndependent(deviation, keySwitchNoise(x.level) / x.scale)
      return { values: rotate(x.values, steps), deviation, level: x.level, scale: x.scale }
    },
    multiplyPlain(x, id) {
      const p = plan.plaintexts[id]
      const plainScale = spec(id).scale
      const values = new Float64Array(x.values.length)
      const deviation = new Float64Array(x.values.length)
      const relative = rounding / plainScale
      for (let s = 0; s < values.length; s++) {
        values[s] = x.values[s] * p[s]
        const carried = p[s] * x.deviation[s]
        const rounded = x.values[s] * relative
        deviation[s] = Math.sqrt(carried * carried + rounded * rounded)
      }
      return { values, deviation, level: x.level, scale: x.scale * plainScale }
    },
    addInPlace(accumulator, x, correlated) {
      for (let s = 0; s < accumulator.values.length; s++) {
        accumulator.values[s] += x.values[s]
      }
      for (let s = 0; s < accumulator.values.length; s++) {
        const a = accumulator.deviation[s]
        const b = x.deviation[s]
        accumulator.deviation[s] = correlated ? a + b : Math.sqrt(a * a + b * b)
      }
    },
    addPlainInPlace(x, id) {
      const p = plan.plaintexts[id]
      for (let s = 0; s < x.values.length; s++) x.values[s] += p[s]
      addIndependent(x.deviation, rounding / x.scale)
    },
    squareInPlace(x) {
      for (let s = 0; s < x.values.length; s++) {
        x.deviation[s] = 2 * Math.abs(x.values[s]) * x.deviation[s] + x.deviation[s] ** 2
        x.values[s] *= x.values[s]
      }
      x.scale *= x.scale
      addIndependent(x.deviation, keySwitchNoise(x.level) / x.scale)
    },
    multiplyInPlace(accumulator, x) {
      for (let s = 0; s < x.values.length; s++) {
        const a = accumulator.values[s]
        const b = x.values[s]
        accumulator.deviation[s] =
          Math.abs(b) * accumulator.deviation[s] +
          Math.abs(a) * x.deviation[s] +
          accumulator.deviation[s] * x.deviation[s]
        accumulator.values[s] = a * b
      }
      accumulator.scale *= x.scale
      addIndependent(accumulator.deviation, keySwitchNoise(accumulator.level) / accumulator.scale)
    },
    levelOf: (x) => x.level,
    rescaleInPlace(x) {
      x.scale /= primes[x.level]
      x.level--
      addIndependent(x.deviation, rescaleNoise / x.scale)
    },
    modSwitchToInPlace(x, level) {
      x.level = level
    },
    clone: (x) => ({
      values: Float64Array.from(x.values),
      deviation: Float64Array.from(x.deviation),
      level: x.level,
      scale: x.scale,
    }),
    free() {},
  }
}
