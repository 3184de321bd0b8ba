/**
 * The Gaussian mechanism of one DP-SGD step on the sum of clipped per-example gradients, with
 * discrete Gaussian noise on an integer grid (Canonne, Kamath, Steinke 2020; Kairouz, Liu, Steinke
 * 2021 use the same discretize-then-add-integers construction):
 *
 *   k = round(sum_i clip_C(g_i) / gamma)        integers on the grid gamma = C * 2^-GRID_BITS
 *   k' = k + Z,  Z ~ N_Z(0, ceil((sigma * Delta)^2))^d   exact integer noise (discrete-gaussian.ts)
 *   g = gamma * k' / normalizer
 *
 * Sensitivity (add/remove one example): the float sum moves by one clipped gradient (L2 <= C) plus
 * float round-off far below one grid step, and rounding each coordinate to the grid adds at most 1 per
 * coordinate, so ||k(D) - k(D')||_2 <= C / gamma + 2 sqrt(d) =: Delta grid units. The discrete
 * Gaussian with variance (sigma Delta)^2 has Renyi divergence D_alpha <= alpha ||shift||^2 / (2
 * (sigma Delta)^2) for integer shifts (CKS20 §4: the normaliser sum_x exp(-(x - c)^2 / (2 s)) is
 * largest at integer c), i.e. the RDP of the continuous Gaussian with noise multiplier sigma: the accountant's
 * sigma is exact, and the 2 sqrt(d) / (C / gamma) overhead (0.02% for d = 10,010 at 2^20) is paid in
 * noise, not in epsilon.
 *
 * The noisy integers times a power-of-two gamma are exact doubles (|k'| < 2^53), so the released
 * update carries no floating-point residue of the unnoised sum. The normalizer is a public constant
 * (the expected batch size q n, or the nominal training-set size for full-batch steps): dividing by the
 * realized batch size would leak it.
 */
import { DiscreteGaussian } from '../random/discrete-gaussian.ts'
import type { SecureRandom } from '../random/secure-random.ts'

/** Grid step gamma = C * 2^-GRID_BITS. */
export const GRID_BITS = 20

export interface DiscreteNoisePlan {
  /** gamma: the grid step in gradient units. */
  granularity: number
  /** Delta: L2 sensitivity of the integer sum, grid units. */
  sensitivity: number
  /** sigma_Z^2 (integer, rounded up): variance of each coordinate's discrete Gaussian, grid units^2. */
  variance: bigint
  /** sigma_Z / Delta >= the requested noise multiplier. */
  effectiveNoiseMultiplier: number
}

/** The grid and the integer noise variance for `dimension` coordinates. */
export function planDiscreteNoise(
  noiseMultiplier: number,
  clippingNorm: number,
  dimension: number,
): DiscreteNoisePlan {
  const granularity = clippingNorm * 2 ** -GRID_BITS
  const sensitivity = 2 ** GRID_BITS + 2 * Math.sqrt(dimension)
  const standardDeviation = noiseMultiplier * sensitivity
  const variance = BigInt(Math.ceil(standardDeviation * standardDeviation))
  return {
    granularity,
    sensitivity,
    variance,
    effectiveNoiseMultiplier: Math.sqrt(Number(variance)) / sensitivity,
  }
}

/**
 * @param clippedSum sum of clipped per-example gradients; replaced in place by the noisy mean
 * @param noiseMultiplier sigma (noise standard deviation / C)
 * @param clippingNorm C, in gradient units
 * @param normalizer public divisor: expected batch size q n (or the nominal n at q = 1)
 */
export function privatizeInPlace(
  clippedSum: Float64Array,
  noiseMultiplier: number,
  clippingNorm: number,
  normalizer: number,
  random: SecureRandom,
): DiscreteNoisePlan {
  const plan = planDiscreteNoise(noiseMultiplier, clippingNorm, clippedSum.length)
  // noiseMultiplier 0: clipping without noise (not DP; the sweep's no-noise reference only).
  const noise = plan.variance === 0n ? undefined : new DiscreteGaussian(random, plan.variance)
  const scale = plan.granularity / normalizer
  for (let i = 0; i < clippedSum.length; i++) {
    const onGrid = Math.round(clippedSum[i] / plan.granularity)
    clippedSum[i] = (onGrid + (noise?.sample() ?? 0)) * scale
  }
  return plan
}
