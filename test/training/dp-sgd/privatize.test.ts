import { describe, expect, it } from 'vitest'
import {
  GRID_BITS,
  planDiscreteNoise,
  privatizeInPlace,
} from '../../../training/dp-sgd/privatize.ts'
import { SecureRandom } from '../../../training/random/secure-random.ts'

/**
 * For n iid samples of variance s^2, (n-1) S^2 / s^2 ~ chi^2(n-1) (approximately, the discrete
 * Gaussian at sigma ~ 1e6 grid units is Gaussian to far below this resolution), approximately normal
 * with mean n-1 and standard deviation sqrt(2 (n-1)). A 7-sigma band fails by chance with
 * probability ~3e-12.
 */
function varianceBand(count: number, variance: number): [number, number] {
  const spread = 7 * Math.sqrt(2 * (count - 1))
  return [
    (variance * (count - 1 - spread)) / (count - 1),
    (variance * (count - 1 + spread)) / (count - 1),
  ]
}

describe('privatizeInPlace (the discrete Gaussian mechanism of a DP-SGD step)', () => {
  it('adds noise of standard deviation sigma*C (grid overhead included) before dividing by the normalizer', () => {
    const count = 100_000
    const sigma = 1.3
    const clip = 0.7
    const normalizer = 256
    const signal = 3.5
    const values = new Float64Array(count).fill(signal)
    const plan = privatizeInPlace(values, sigma, clip, normalizer, new SecureRandom())
    expect(plan.effectiveNoiseMultiplier).toBeGreaterThanOrEqual(sigma)
    let mean = 0
    for (const v of values) mean += v * normalizer
    mean /= count
    let squares = 0
    for (const v of values) squares += (v * normalizer - mean) ** 2
    const sampleVariance = squares / (count - 1)
    const trueVariance = (plan.effectiveNoiseMultiplier * clip) ** 2
    const [low, high] = varianceBand(count, trueVariance)
    expect(sampleVariance).toBeGreaterThan(low)
    expect(sampleVariance).toBeLessThan(high)
    expect(Math.abs(mean - signal)).toBeLessThan((7 * sigma * clip) / Math.sqrt(count))
  })

  it('releases values on the grid gamma = C 2^-20 (no floating-point residue of the unnoised sum)', () => {
    const clip = 0.5
    const values = Float64Array.from({ length: 1000 }, (_, i) => Math.PI * i * 1e-3)
    privatizeInPlace(values, 2, clip, 1, new SecureRandom())
    const gamma = clip * 2 ** -GRID_BITS
    for (const v of values) expect(Number.isInteger(v / gamma)).toBe(true)
  })

  it('charges the rounding to the grid in noise, not epsilon: sigma_Z = sigma (C/gamma + 2 sqrt(d))', () => {
    const plan = planDiscreteNoise(4, 1, 10_010)
    expect(plan.sensitivity).toBeCloseTo(2 ** 20 + 2 * Math.sqrt(10_010), 9)
    expect(Number(plan.variance)).toBeGreaterThanOrEqual((4 * plan.sensitivity) ** 2)
    expect(plan.effectiveNoiseMultiplier / 4 - 1).toBeLessThan(1e-9)
  })

  it('draws fresh noise every call (not a seeded stream)', () => {
    const first = new Float64Array(8)
    const second = new Float64Array(8)
    privatizeInPlace(first, 1, 1, 1, new SecureRandom())
    privatizeInPlace(second, 1, 1, 1, new SecureRandom())
    expect(Array.from(first)).not.toEqual(Array.from(second))
  })
})
