/**
 * The noise backend: runs a plan (plan/execute-plan.ts) on exact slot values and carries, per slot,
 * the CKKS error a real run would add (in value units): the part fixed by the plaintexts' encoding,
 * signed, and the standard deviation of the random rest, with the levels and scales of the scale
 * schedule. tolerance.ts derives the HE-vs-float64 bound from it.
 *
 * Error model (CKKS noise heuristics of Costache, Curtis, Hales, Murphy, Ozbudak, Player, "On the
 * precision loss in approximate homomorphic encryption", eprint 2022/162; σ = 3.2, ternary secret
 * of weight h ≈ 2N/3; per slot, in value units):
 * - fresh encryption + encoding: sqrt(N σ² / 2 + N/12) / scale (the encoding's rounding error is
 *   real: see ckksNoiseTerms);
 * - plaintext encoding (encoding-error.ts): exact per slot and carried signed in `fixed` (a
 *   plaintext that encodes to zero loses its values), times x of the slot it multiplies; in
 *   `spread` mode, noise of sqrt(N/12) / plaintextScale instead;
 * - rescale: sqrt(N/12 · (1 + h)) / (scale after);
 * - key switching (rotation, relinearization): sqrt((ℓ + 1) N/12) · σ · sqrt(N) · q_max / P / scale,
 *   plus an offset shared by the queries under one key set, large at the first slots
 *   (ckksNoiseTerms' keySwitchOffset), counted as noise since it varies over key sets;
 * - products: x ⊙ p scales the deviation by |p|; x² by 2|x|; a ⊙ b by |b| σ_a + |a| σ_b (linear:
 *   the two may share an error source);
 * - additions of independent errors add variances; of correlated ones (a polynomial's terms, all
 *   derived from one ciphertext) deviations, which bounds any correlation. Fixed parts add as
 *   signed values and go through products like values do (first order, plus their product).
 * The tolerance of an output is |fixed| + k·deviation (tolerance.ts).
 * Mod-switching drops primes exactly and adds nothing. Each random source is a complex Gaussian in
 * the slot domain (a sum over the N coefficients); decoding keeps its real part, with half the
 * variance, so its deviation is divided by √2 (REAL_PART), except the encoding's rounding, which is
 * real (ckksNoiseTerms).
 */
import type { HeBackend } from './plan/backend.ts'
import type { HePlan } from './plan/plan.ts'
import type { HeParameters } from './he-parameters.ts'
import { rotate } from '../../core/layout/rotate.ts'
import { scheduleScales } from './scale-schedule.ts'
import { encodingError, type EncodingErrorMode } from './encoding-error.ts'

const SIGMA = 3.2
const REAL_PART = Math.SQRT1_2

export interface NoisyValue {
  values: Float64Array
  /** Standard deviation of the error's random part per slot, in value units. */
  deviation: Float64Array
  /** The error's fixed part per slot (plaintext encoding), signed, in value units. */
  fixed: Float64Array
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
 * keySwitchOffset: SEAL decomposes the switched polynomial into its residues mod each q_j, in
 * [0, q_j): their mean q_j/2 (the all-ones polynomial, whose embedding 2/(1 - ζ) is large at the
 * roots near 1) times the key's own error e_j is an error that every query under one key set shares,
 * of deviation (over key sets) (sqrt(Σ q_j²)/2/P)·σ·sqrt(N)/|sin(π·3^s/2N)| at slot s: 2N/π times the
 * per-slot figure at slot 0, a third of that at slot 1, ..., noise-sized beyond slot 5 (measured
 * over 16 key sets at N = 4096: 166k / 76k / 19k / 6k against 195k / 65k / 22k / 7k predicted).
 * Shared by the slot-plan and feature-plan noise models. Encoding real slot values rounds
 * antisymmetric coefficients (c_(N-k) = -c_k), so that error is real and keeps its whole variance
 * N/12 (no REAL_PART); the others round or sample coefficients independently.
 */
export function ckksNoiseTerms(
  parameters: HeParameters,
  primes: readonly number[],
): {
  rounding: number
  rescaleNoise: number
  keySwitchNoise: (level: number) => number
  keySwitchOffset: (level: number) => Float64Array
  freshNoise: number
} {
  const n = parameters.polyModulusDegree
  const special = 2 ** parameters.coeffModulusBits[parameters.coeffModulusBits.length - 1]
  const maxPrime = Math.max(...primes)
  const offsets = new Map<number, Float64Array>()
  return {
    keySwitchOffset(level) {
      let offset = offsets.get(level)
      if (offset === undefined) {
        let squares = 0
        for (let j = 0; j <= level; j++) squares += primes[j] * primes[j]
        const size = REAL_PART * (Math.sqrt(squares) / 2 / special) * SIGMA * Math.sqrt(n)
        offset = new Float64Array(n / 2)
        let position = 1
        for (let s = 0; s < n / 2; s++) {
          offset[s] = size / Math.abs(Math.sin((Math.PI * position) / (2 * n)))
          position = (position * 3) % (2 * n)
        }
        offsets.set(level, offset)
      }
      return offset
    },
    rounding: Math.sqrt(n / 12),
    rescaleNoise: REAL_PART * Math.sqrt((n / 12) * (1 + (2 * n) / 3)),
    keySwitchNoise: (level) =>
      REAL_PART * Math.sqrt((level + 1) * (n / 12)) * SIGMA * Math.sqrt(n) * (maxPrime / special),
    freshNoise: Math.sqrt(REAL_PART ** 2 * n * SIGMA * SIGMA + n / 12),
  }
}

/**
 * @param primes data primes q0..q(L-1) as doubles (nominal 2^bits or a SEAL context's).
 * @param encoding plaintext encoding errors computed exactly or modelled as spread-out noise
 *   (encoding-error.ts).
 */
export function createNoiseBackend(
  plan: HePlan,
  parameters: HeParameters,
  primes: readonly number[],
  encoding: EncodingErrorMode = 'exact',
): NoiseBackend {
  const schedule = scheduleScales(plan, parameters, primes)
  const { rescaleNoise, keySwitchNoise, keySwitchOffset, freshNoise } = ckksNoiseTerms(
    parameters,
    primes,
  )
  /** deviation ← sqrt(deviation² + extra²) per slot. */
  const addIndependent = (deviation: Float64Array, extra: number) => {
    const extra2 = extra * extra
    for (let s = 0; s < deviation.length; s++)
      deviation[s] = Math.sqrt(deviation[s] * deviation[s] + extra2)
  }
  /** A key switch's noise and its key-fixed offset (ckksNoiseTerms), at `scale`. */
  const addKeySwitch = (deviation: Float64Array, level: number, scale: number) => {
    const noise2 = (keySwitchNoise(level) / scale) ** 2
    const offset = keySwitchOffset(level)
    for (let s = 0; s < deviation.length; s++) {
      const fixed = offset[s] / scale
      deviation[s] = Math.sqrt(deviation[s] * deviation[s] + noise2 + fixed * fixed)
    }
  }
  const spec = (id: number) => schedule.plaintexts[id]
  return {
    encrypt(slots) {
      const scale = 2 ** parameters.scaleBits
      const deviation = new Float64Array(slots.length).fill(freshNoise / scale)
      const fixed = new Float64Array(slots.length)
      return { values: Float64Array.from(slots), deviation, fixed, level: plan.depth, scale }
    },
    rotate(x, steps) {
      const deviation = rotate(x.deviation, steps)
      addKeySwitch(deviation, x.level, x.scale)
      const { level, scale } = x
      return {
        values: rotate(x.values, steps),
        deviation,
        fixed: rotate(x.fixed, steps),
        level,
        scale,
      }
    },
    multiplyPlain(x, id) {
      const p = plan.plaintexts[id]
      const plainScale = spec(id).scale
      const encoded = encodingError(p, plainScale, encoding)
      const size = x.values.length
      const values = new Float64Array(size)
      const deviation = new Float64Array(size)
      const fixed = new Float64Array(size)
      for (let s = 0; s < size; s++) {
        const pError = encoded.fixed?.[s] ?? 0
        values[s] = x.values[s] * p[s]
        fixed[s] = p[s] * x.fixed[s] + (x.values[s] + x.fixed[s]) * pError
        const carried = (p[s] + pError) * x.deviation[s]
        const rounded = (x.values[s] + x.fixed[s]) * encoded.deviation
        deviation[s] = Math.sqrt(carried * carried + rounded * rounded)
      }
      return { values, deviation, fixed, level: x.level, scale: x.scale * plainScale }
    },
    addInPlace(accumulator, x, correlated) {
      for (let s = 0; s < accumulator.values.length; s++) {
        accumulator.values[s] += x.values[s]
        accumulator.fixed[s] += x.fixed[s]
      }
      for (let s = 0; s < accumulator.values.length; s++) {
        const a = accumulator.deviation[s]
        const b = x.deviation[s]
        accumulator.deviation[s] = correlated ? a + b : Math.sqrt(a * a + b * b)
      }
    },
    addPlainInPlace(x, id) {
      const p = plan.plaintexts[id]
      const encoded = encodingError(p, spec(id)?.scale ?? x.scale, encoding)
      for (let s = 0; s < x.values.length; s++) {
        x.values[s] += p[s]
        x.fixed[s] += encoded.fixed?.[s] ?? 0
      }
      addIndependent(x.deviation, encoded.deviation)
    },
    squareInPlace(x) {
      for (let s = 0; s < x.values.length; s++) {
        const v = x.values[s]
        const f = x.fixed[s]
        const d = x.deviation[s]
        // (v + f + e)² - v² = (2v + f)·f + 2(v + f)·e + e².
        x.deviation[s] = 2 * Math.abs(v + f) * d + d * d
        x.fixed[s] = (2 * v + f) * f
        x.values[s] = v * v
      }
      x.scale *= x.scale
      addKeySwitch(x.deviation, x.level, x.scale)
    },
    multiplyInPlace(accumulator, x) {
      for (let s = 0; s < x.values.length; s++) {
        const a = accumulator.values[s]
        const b = x.values[s]
        const fa = accumulator.fixed[s]
        const fb = x.fixed[s]
        const da = accumulator.deviation[s]
        const db = x.deviation[s]
        accumulator.deviation[s] = Math.abs(b + fb) * da + Math.abs(a + fa) * db + da * db
        accumulator.fixed[s] = a * fb + b * fa + fa * fb
        accumulator.values[s] = a * b
      }
      accumulator.scale *= x.scale
      addKeySwitch(accumulator.deviation, accumulator.level, accumulator.scale)
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
      fixed: Float64Array.from(x.fixed),
      level: x.level,
      scale: x.scale,
    }),
    free() {},
  }
}
