/**
 * The error CKKS's encoder puts into a plaintext, per slot.
 *
 * SEAL encodes slot values v at scale Δ as the integer polynomial r = round(c), where c is the
 * real polynomial whose canonical embedding is v·Δ: slot i is the value at ζ^(3^i mod 2N),
 * ζ = e^(iπ/N) (and its conjugate at the conjugate root). The error, the embedding of r - c
 * divided by Δ, is fixed by v and Δ: computed here exactly (two FFTs of size N, cached per values
 * array and scale), it matches SEAL's decode(encode(v)) - v to 1e-18 (test/service/compiler/
 * encoding-error.test.ts).
 *
 * Why not noise with variance N/12 per slot: our plaintexts are structured (diagonals with a few
 * weights, periodic replicas), their coefficients are sums of a few waves, and their rounding
 * errors gather at the slots that hold the weights: in a masked last layer (~4 weights per
 * diagonal) the error there is 2-3 times the spread-out figure, and a diagonal whose coefficients
 * are all below 1/2 encodes to the zero polynomial and loses its weights entirely. Treated as
 * spread-out noise, this fixed part of the error exceeded the 6σ tolerance.
 *
 * `spread` mode (a quick first check in parameter selection) keeps that noise model: real slot
 * values give antisymmetric coefficients (c_(N-k) = -c_k), so the rounding error is real and the
 * whole variance N/12 is in the real part. It is also used when the coefficients are too large for
 * float64 to round them exactly (root mean square >= 2^30, which makes the error negligible).
 */
import { fftInPlace } from '../../core/math/fft.ts'

export interface EncodingError {
  /** The error per slot, signed, in value units (undefined: treated as noise, see deviation). */
  fixed: Float64Array | undefined
  /** Standard deviation per slot of the error treated as noise, in value units. */
  deviation: number
}

export type EncodingErrorMode = 'exact' | 'spread'

/** Root mean square of the coefficients above which float64 cannot round them exactly. */
const EXACT_LIMIT = 2 ** 30

const cache = new WeakMap<Float64Array, Map<number, EncodingError>>()

/**
 * @param values the plaintext's slot values (N/2 of them)
 * @param scale the scale it is encoded at
 */
export function encodingError(
  values: Float64Array,
  scale: number,
  mode: EncodingErrorMode = 'exact',
): EncodingError {
  const slots = values.length
  const n = 2 * slots
  let energy = 0
  for (const v of values) energy += v * v
  if (energy === 0) return { fixed: undefined, deviation: 0 }
  // Parseval: Σ c_k² = 2 Σ v² Δ² / N.
  const rms = (scale * Math.sqrt(2 * energy)) / n
  if (mode === 'spread' || rms >= EXACT_LIMIT)
    return { fixed: undefined, deviation: Math.sqrt(n / 12) / scale }
  let byScale = cache.get(values)
  if (byScale === undefined) {
    byScale = new Map()
    cache.set(values, byScale)
  }
  let error = byScale.get(scale)
  if (error === undefined) {
    const coefficients = toCoefficients(values, scale)
    // SEAL rounds half away from zero.
    for (let k = 0; k < n; k++) {
      const c = coefficients[k]
      coefficients[k] = Math.sign(c) * Math.round(Math.abs(c)) - c
    }
    const fixed = toSlots(coefficients)
    for (let i = 0; i < slots; i++) fixed[i] /= scale
    error = { fixed, deviation: 0 }
    byScale.set(scale, error)
  }
  return error
}

/** Slot i's root: ζ^(3^i mod 2N); with odd exponent 2j + 1 it sits at index j of a size-N DFT. */
const rootIndexCache = new Map<number, Int32Array>()
function rootIndices(slots: number): Int32Array {
  let indices = rootIndexCache.get(slots)
  if (indices === undefined) {
    const m = 4 * slots
    indices = new Int32Array(slots)
    let position = 1
    for (let i = 0; i < slots; i++) {
      indices[i] = (position - 1) / 2
      position = (position * 3) % m
    }
    rootIndexCache.set(slots, indices)
  }
  return indices
}

/** The real polynomial (N coefficients) whose embedding is values·scale. */
export function toCoefficients(values: Float64Array, scale: number): Float64Array {
  const slots = values.length
  const n = 2 * slots
  const indices = rootIndices(slots)
  // V_j = m(ζ^(2j+1)) = Σ_k (c_k ζ^k) e^(2πi jk/N): given V at all N odd roots (slot i at j_i,
  // its conjugate at N - 1 - j_i), a = forward DFT(V) / N and c_k = Re(a_k ζ^-k).
  const real = new Float64Array(n)
  const imag = new Float64Array(n)
  for (let i = 0; i < slots; i++) {
    real[indices[i]] = values[i] * scale
    real[n - 1 - indices[i]] = values[i] * scale
  }
  fftInPlace(real, imag)
  const coefficients = new Float64Array(n)
  for (let k = 0; k < n; k++) {
    const angle = (Math.PI * k) / n
    coefficients[k] = (real[k] * Math.cos(angle) + imag[k] * Math.sin(angle)) / n
  }
  return coefficients
}

/** The embedding's real part per slot (N/2 values) of a real polynomial's N coefficients. */
export function toSlots(coefficients: Float64Array): Float64Array {
  const n = coefficients.length
  const slots = n / 2
  const real = new Float64Array(n)
  const imag = new Float64Array(n)
  for (let k = 0; k < n; k++) {
    const angle = (Math.PI * k) / n
    real[k] = coefficients[k] * Math.cos(angle)
    imag[k] = coefficients[k] * Math.sin(angle)
  }
  // Σ_k a_k e^(+2πi jk/N) = N · inverse DFT.
  fftInPlace(real, imag, true)
  const indices = rootIndices(slots)
  const values = new Float64Array(slots)
  for (let i = 0; i < slots; i++) values[i] = real[indices[i]] * n
  return values
}
