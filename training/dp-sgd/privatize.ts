/**
 * The Gaussian mechanism of one DP-SGD step, applied to the sum of clipped per-example gradients:
 *   g = (sum_i clip_C(g_i) + N(0, (sigma C)^2 I)) / (q n)
 * Dividing by the EXPECTED batch size q n (a public constant) keeps the realized batch size, which
 * depends on the data, out of the update (Opacus does the same for Poisson sampling).
 */
import type { SecureRandom } from '../random/secure-random.ts'

/**
 * @param clippedSum sum of clipped per-example gradients; replaced in place by the noisy mean
 * @param noiseMultiplier sigma (noise std / C)
 * @param clippingNorm C, in gradient units
 * @param expectedBatchSize q n
 */
export function privatizeInPlace(
  clippedSum: Float64Array,
  noiseMultiplier: number,
  clippingNorm: number,
  expectedBatchSize: number,
  random: SecureRandom,
): void {
  random.addGaussianInPlace(clippedSum, noiseMultiplier * clippingNorm)
  const scale = 1 / expectedBatchSize
  for (let i = 0; i < clippedSum.length; i++) clippedSum[i] *= scale
}
