/**
 * The exact privacy profile of the (non-subsampled) Gaussian mechanism, used to check the
 * accountants where the truth is known in closed form (q = 1).
 *
 * Balle and Wang 2018, "Improving the Gaussian Mechanism for Differential Privacy: Analytical
 * Calibration and Optimal Denoising" (Theorem 8): with sensitivity 1 and noise sigma, the
 * mechanism is (epsilon, delta)-DP exactly for
 *   delta(epsilon) = Phi(1/(2 sigma) - epsilon sigma) - e^epsilon Phi(-1/(2 sigma) - epsilon sigma).
 * T compositions of it are again a Gaussian mechanism, with sigma / sqrt(T) (Dong, Roth, Su 2019,
 * "Gaussian Differential Privacy": mu-GDP composes as sqrt(T) mu).
 */
import { checkDelta, checkEpsilon, checkNoiseMultiplier, checkSteps } from './validate.ts'
import { logNormalCdf, normalCdf } from './special-functions.ts'

/** delta(epsilon) of the Gaussian mechanism with the given noise multiplier (sensitivity 1). */
export function gaussianDelta(noiseMultiplier: number, epsilon: number, steps = 1): number {
  checkNoiseMultiplier(noiseMultiplier)
  checkSteps(steps)
  if (!(epsilon >= 0)) checkEpsilon(epsilon)
  const sigma = noiseMultiplier / Math.sqrt(steps)
  const first = normalCdf(1 / (2 * sigma) - epsilon * sigma)
  // e^eps Phi(x) in log space: Phi(x) underflows long before e^eps overflows it back.
  const second = Math.exp(epsilon + logNormalCdf(-1 / (2 * sigma) - epsilon * sigma))
  return Math.max(0, first - second)
}

/**
 * The exact (smallest) epsilon of `steps` compositions of the Gaussian mechanism at the given
 * delta, by bisection on the decreasing function delta(epsilon) to absolute precision 1e-12.
 * @example exactGaussianEpsilon({ noiseMultiplier: 1, delta: 1e-5 }) // 4.3772...
 * @throws PrivinferError ACCOUNTANT_INVALID on invalid arguments.
 */
export function exactGaussianEpsilon({
  noiseMultiplier,
  delta,
  steps = 1,
}: {
  noiseMultiplier: number
  delta: number
  steps?: number
}): number {
  checkNoiseMultiplier(noiseMultiplier)
  checkDelta(delta)
  checkSteps(steps)
  if (gaussianDelta(noiseMultiplier, 0, steps) <= delta) return 0
  let low = 0
  let high = 1
  while (gaussianDelta(noiseMultiplier, high, steps) > delta) high *= 2
  while (high - low > 1e-12 * Math.max(1, high)) {
    const middle = (low + high) / 2
    if (gaussianDelta(noiseMultiplier, middle, steps) > delta) low = middle
    else high = middle
  }
  return high
}
