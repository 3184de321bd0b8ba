/**
 * The scattering feature transform `scatter28-v1`: a fixed, data-independent two-layer scattering
 * network (Mallat 2012; Bruna and Mallat 2013) for 28x28 images, the handcrafted front end that
 * Tramèr and Boneh 2021 ("Differentially Private Learning Needs Better Features (or Much More
 * Data)", ICLR 2021, arXiv:2011.11660) put before a DP-trained linear model. The client computes it in
 * the clear before encryption; the trainer uses this same code, so both agree to the last bit of the
 * algorithm. Pure math: no I/O, no Node APIs (runs in a browser).
 *
 * Specification (docs/api.md "The scatter28-v1 feature transform" is the normative copy):
 * 1. Canvas: a 32x32 array, zero except rows/columns 2..29 which hold the 28x28 image (pixels in
 *    [0, 1], row-major). All convolutions are circular on this 32x32 torus.
 * 2. Grid offsets: index i in 0..31 stands for the signed offset s(i) = i for i < 16, i - 32 otherwise;
 *    u = s(row) (down), v = s(column) (right).
 * 3. Morlet wavelet psi_{j,l}, j in {0, 1}, l in 0..7: sigma = 0.8 * 2^j, xi = (3 pi / 4) / 2^j,
 *    theta = l pi / 8, slant 1/2; along = v cos(theta) + u sin(theta), across = -v sin(theta) +
 *    u cos(theta); envelope g = exp(-(along^2 + slant^2 across^2) / (2 sigma^2));
 *    psi = (g e^{i xi along} - kappa g) / (2 pi sigma^2 / slant), kappa = sum(g e^{i xi along}) / sum(g)
 *    (so psi sums to 0).
 * 4. Maps (81 channels): c = 0: the canvas; c = 1 + 8j + l: |canvas * psi_{j,l}|;
 *    c = 17 + 8 l1 + l2: | |canvas * psi_{0,l1}| * psi_{1,l2} |.
 * 5. Pooling: phi_s = exp(-(u^2 + v^2) / (2 s^2)) normalized to sum 1; the pooled value at (a, b) is
 *    (map * phi_s)[a][b]. Channels 0..16: s = 2.5 at rows and columns {5, 10, 16, 21, 26} (5x5);
 *    channels 17..80: s = 4.5 at {7, 16, 25} (3x3).
 * 6. Normalization (per image, no data statistics): each of the 17 channels 0..16 (25 values) and each
 *    of the 16 groups of 4 consecutive channels 17+4g..20+4g (36 values) is shifted to mean 0 and
 *    divided by (population standard deviation + 1e-5).
 * 7. Output: 1001 float64 values, channel by channel in channel order, each channel's pooled values
 *    row-major: 17 x 25 then 64 x 9.
 *
 * Cost: 89 FFTs of 32x32 per image (about 5 ms in Node 24 on this machine). 1001 features pad to a
 * 1024-slot period: four images per N = 8192 ciphertext (docs/design.md, "Scattering features").
 */
import { PrivinferError } from '../errors.ts'
import { fftInPlace } from '../math/fft.ts'

export const SCATTER28_V1 = 'scatter28-v1'
export const SCATTER_IMAGE_SIZE = 28
export const SCATTER_FEATURE_COUNT = 1001

const CANVAS = 32
const OFFSET = 2
const ORIENTATIONS = 8
const SLANT = 0.5
const LOW_ORDER_CHANNELS = 17
const SECOND_ORDER_CHANNELS = 64
const LOW_ORDER_POOL = { sigma: 2.5, positions: [5, 10, 16, 21, 26] }
const SECOND_ORDER_POOL = { sigma: 4.5, positions: [7, 16, 25] }
const SECOND_ORDER_GROUP = 4
const NORMALIZATION_EPSILON = 1e-5

/** Signed offset of grid index i on the 32-torus. */
function signedOffset(i: number): number {
  return i < CANVAS / 2 ? i : i - CANVAS
}

/**
 * 2-D FFT of a 32x32 complex array (row-major) in place: rows, then columns, through
 * core/math/fft.ts; the inverse divides by 1024 (32 per axis, exact in floating point).
 */
function fft2d(re: Float64Array, im: Float64Array, inverse: boolean): void {
  const lineRe = new Float64Array(CANVAS)
  const lineIm = new Float64Array(CANVAS)
  // Rows (elements CANVAS·line + i), then columns (elements line + CANVAS·i).
  for (const [lineStep, elementStep] of [
    [CANVAS, 1],
    [1, CANVAS],
  ]) {
    for (let line = 0; line < CANVAS; line++) {
      for (let i = 0; i < CANVAS; i++) {
        lineRe[i] = re[line * lineStep + i * elementStep]
        lineIm[i] = im[line * lineStep + i * elementStep]
      }
      fftInPlace(lineRe, lineIm, inverse)
      for (let i = 0; i < CANVAS; i++) {
        re[line * lineStep + i * elementStep] = lineRe[i]
        im[line * lineStep + i * elementStep] = lineIm[i]
      }
    }
  }
}

/** The Morlet wavelet psi_{j,l} on the 32x32 grid (step 3 of the specification). */
export function morletWavelet(j: number, l: number): { re: Float64Array; im: Float64Array } {
  const sigma = 0.8 * 2 ** j
  const xi = (0.75 * Math.PI) / 2 ** j
  const theta = (l * Math.PI) / ORIENTATIONS
  const cos = Math.cos(theta)
  const sin = Math.sin(theta)
  const size = CANVAS * CANVAS
  const envelope = new Float64Array(size)
  const waveRe = new Float64Array(size)
  const waveIm = new Float64Array(size)
  let envelopeSum = 0
  let waveSumRe = 0
  let waveSumIm = 0
  for (let row = 0; row < CANVAS; row++) {
    const u = signedOffset(row)
    for (let col = 0; col < CANVAS; col++) {
      const v = signedOffset(col)
      const along = v * cos + u * sin
      const across = -v * sin + u * cos
      const g = Math.exp(-(along * along + SLANT * SLANT * across * across) / (2 * sigma * sigma))
      const index = row * CANVAS + col
      envelope[index] = g
      waveRe[index] = g * Math.cos(xi * along)
      waveIm[index] = g * Math.sin(xi * along)
      envelopeSum += g
      waveSumRe += waveRe[index]
      waveSumIm += waveIm[index]
    }
  }
  const kappaRe = waveSumRe / envelopeSum
  const kappaIm = waveSumIm / envelopeSum
  const norm = (2 * Math.PI * sigma * sigma) / SLANT
  const re = new Float64Array(size)
  const im = new Float64Array(size)
  for (let i = 0; i < size; i++) {
    re[i] = (waveRe[i] - kappaRe * envelope[i]) / norm
    im[i] = (waveIm[i] - kappaIm * envelope[i]) / norm
  }
  return { re, im }
}

/** 1-D factor of the isotropic low-pass phi_s: exp(-s(i)^2 / (2 s^2)) / sum (phi_s = outer product). */
function lowPassFactor(sigma: number): Float64Array {
  const factor = Float64Array.from({ length: CANVAS }, (_, i) =>
    Math.exp(-(signedOffset(i) ** 2) / (2 * sigma * sigma)),
  )
  const total = factor.reduce((a, b) => a + b, 0)
  return factor.map((value) => value / total)
}

interface PoolPlan {
  positions: number[]
  /** weights[a * 32 + r] = factor((positions[a] - r) mod 32) */
  weights: Float64Array
}

function poolPlan(pool: { sigma: number; positions: number[] }): PoolPlan {
  const factor = lowPassFactor(pool.sigma)
  const weights = new Float64Array(pool.positions.length * CANVAS)
  pool.positions.forEach((p, a) => {
    for (let r = 0; r < CANVAS; r++) weights[a * CANVAS + r] = factor[(p - r + CANVAS) % CANVAS]
  })
  return { positions: pool.positions, weights }
}

/** Filters in the frequency domain, computed once per process. */
let filterBank:
  | {
      psi: Array<{ re: Float64Array; im: Float64Array }>
      low: PoolPlan
      second: PoolPlan
    }
  | undefined

function filters(): NonNullable<typeof filterBank> {
  if (filterBank === undefined) {
    const psi: Array<{ re: Float64Array; im: Float64Array }> = []
    for (let j = 0; j < 2; j++) {
      for (let l = 0; l < ORIENTATIONS; l++) {
        const wavelet = morletWavelet(j, l)
        fft2d(wavelet.re, wavelet.im, false)
        psi.push(wavelet)
      }
    }
    filterBank = { psi, low: poolPlan(LOW_ORDER_POOL), second: poolPlan(SECOND_ORDER_POOL) }
  }
  return filterBank
}

/** (map * phi)[p_a][p_b] for all a, b, appended to `out` at `offset` (separable Gaussian). */
function poolInto(map: Float64Array, plan: PoolPlan, out: Float64Array, offset: number): void {
  const count = plan.positions.length
  const columnPass = new Float64Array(CANVAS * count)
  for (let row = 0; row < CANVAS; row++) {
    for (let b = 0; b < count; b++) {
      let sum = 0
      for (let col = 0; col < CANVAS; col++)
        sum += plan.weights[b * CANVAS + col] * map[row * CANVAS + col]
      columnPass[row * count + b] = sum
    }
  }
  for (let a = 0; a < count; a++) {
    for (let b = 0; b < count; b++) {
      let sum = 0
      for (let row = 0; row < CANVAS; row++)
        sum += plan.weights[a * CANVAS + row] * columnPass[row * count + b]
      out[offset + a * count + b] = sum
    }
  }
}

/** |IFFT(spectrum * filter)| into `modulus`, using the scratch arrays. */
function filteredModulus(
  spectrumRe: Float64Array,
  spectrumIm: Float64Array,
  filter: { re: Float64Array; im: Float64Array },
  scratchRe: Float64Array,
  scratchIm: Float64Array,
  modulus: Float64Array,
): void {
  for (let i = 0; i < spectrumRe.length; i++) {
    scratchRe[i] = spectrumRe[i] * filter.re[i] - spectrumIm[i] * filter.im[i]
    scratchIm[i] = spectrumRe[i] * filter.im[i] + spectrumIm[i] * filter.re[i]
  }
  fft2d(scratchRe, scratchIm, true)
  for (let i = 0; i < modulus.length; i++)
    modulus[i] = Math.sqrt(scratchRe[i] * scratchRe[i] + scratchIm[i] * scratchIm[i])
}

/** Shifts each group of `groupSize` consecutive values from `start` to mean 0, std 1 (+ 1e-5). */
function normalizeGroups(
  values: Float64Array,
  start: number,
  end: number,
  groupSize: number,
): void {
  for (let begin = start; begin < end; begin += groupSize) {
    let mean = 0
    for (let i = begin; i < begin + groupSize; i++) mean += values[i]
    mean /= groupSize
    let variance = 0
    for (let i = begin; i < begin + groupSize; i++) variance += (values[i] - mean) ** 2
    const scale = 1 / (Math.sqrt(variance / groupSize) + NORMALIZATION_EPSILON)
    for (let i = begin; i < begin + groupSize; i++) values[i] = (values[i] - mean) * scale
  }
}

/**
 * scatter28-v1 features of one 28x28 image (784 values in [0, 1], row-major).
 * @returns 1001 features (see the file comment for the order)
 * @throws PrivinferError INPUT_INVALID for a wrong length or non-finite pixels.
 * @example scatter28(new Float64Array(784)).length === 1001
 */
export function scatter28(image: ArrayLike<number>): Float64Array {
  if (image.length !== SCATTER_IMAGE_SIZE * SCATTER_IMAGE_SIZE) {
    throw new PrivinferError(
      'INPUT_INVALID',
      `scatter28-v1 needs a 28x28 image (784 values), got ${image.length}`,
      { expectedLength: 784, gotLength: image.length },
    )
  }
  const bank = filters()
  const size = CANVAS * CANVAS
  const canvasRe = new Float64Array(size)
  const canvasIm = new Float64Array(size)
  for (let row = 0; row < SCATTER_IMAGE_SIZE; row++) {
    for (let col = 0; col < SCATTER_IMAGE_SIZE; col++) {
      const value = Number(image[row * SCATTER_IMAGE_SIZE + col])
      if (!Number.isFinite(value))
        throw new PrivinferError('INPUT_INVALID', 'image pixels must be finite numbers')
      canvasRe[(row + OFFSET) * CANVAS + col + OFFSET] = value
    }
  }
  const out = new Float64Array(SCATTER_FEATURE_COUNT)
  const lowCount = LOW_ORDER_POOL.positions.length ** 2
  const secondCount = SECOND_ORDER_POOL.positions.length ** 2
  poolInto(canvasRe, bank.low, out, 0)

  fft2d(canvasRe, canvasIm, false)
  const scratchRe = new Float64Array(size)
  const scratchIm = new Float64Array(size)
  const modulus = new Float64Array(size)
  const firstOrderSpectra: Array<{ re: Float64Array; im: Float64Array }> = []
  for (let j = 0; j < 2; j++) {
    for (let l = 0; l < ORIENTATIONS; l++) {
      const channel = 1 + j * ORIENTATIONS + l
      filteredModulus(canvasRe, canvasIm, bank.psi[channel - 1], scratchRe, scratchIm, modulus)
      poolInto(modulus, bank.low, out, channel * lowCount)
      if (j === 0) {
        // Second order uses |canvas * psi_{0,l}|: keep its spectrum.
        const re = Float64Array.from(modulus)
        const im = new Float64Array(size)
        fft2d(re, im, false)
        firstOrderSpectra.push({ re, im })
      }
    }
  }
  const secondStart = LOW_ORDER_CHANNELS * lowCount
  for (let l1 = 0; l1 < ORIENTATIONS; l1++) {
    for (let l2 = 0; l2 < ORIENTATIONS; l2++) {
      const spectrum = firstOrderSpectra[l1]
      filteredModulus(
        spectrum.re,
        spectrum.im,
        bank.psi[ORIENTATIONS + l2],
        scratchRe,
        scratchIm,
        modulus,
      )
      poolInto(modulus, bank.second, out, secondStart + (l1 * ORIENTATIONS + l2) * secondCount)
    }
  }
  normalizeGroups(out, 0, secondStart, lowCount)
  normalizeGroups(
    out,
    secondStart,
    secondStart + SECOND_ORDER_CHANNELS * secondCount,
    SECOND_ORDER_GROUP * secondCount,
  )
  return out
}
