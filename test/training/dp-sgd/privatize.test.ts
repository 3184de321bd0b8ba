import { describe, expect, it } from 'vitest'
import { privatizeInPlace } from '../../../training/dp-sgd/privatize.ts'
import { SecureRandom } from '../../../training/random/secure-random.ts'

/**
 * For n iid N(0, s^2) samples, (n-1) S^2 / s^2 ~ chi^2(n-1), approximately normal with mean n-1 and
 * standard deviation sqrt(2 (n-1)) for large n. A 7-sigma band fails by chance with probability ~3e-12.
 */
function varianceBand(count: number, variance: number): [number, number] {
  const spread = 7 * Math.sqrt(2 * (count - 1))
  return [
    (variance * (count - 1 - spread)) / (count - 1),
    (variance * (count - 1 + spread)) / (count - 1),
  ]
}

describe('privatizeInPlace (the Gaussian mechanism of a DP-SGD step)', () => {
  it('adds noise of standard deviation sigma*C before dividing by the expected batch size', () => {
    const count = 200_000
    const sigma = 1.3
    const clip = 0.7
    const expectedBatch = 256
    const signal = 3.5
    const values = new Float64Array(count).fill(signal)
    privatizeInPlace(values, sigma, clip, expectedBatch, new SecureRandom())
    // Undo the division: values * B = signal + noise.
    let mean = 0
    for (const v of values) mean += v * expectedBatch
    mean /= count
    let squares = 0
    for (const v of values) squares += (v * expectedBatch - mean) ** 2
    const sampleVariance = squares / (count - 1)
    const trueVariance = (sigma * clip) ** 2
    const [low, high] = varianceBand(count, trueVariance)
    expect(sampleVariance).toBeGreaterThan(low)
    expect(sampleVariance).toBeLessThan(high)
    // Mean: standard error sigma*C/sqrt(n); 7 standard errors.
    expect(Math.abs(mean - signal)).toBeLessThan((7 * sigma * clip) / Math.sqrt(count))
  })

  it('draws fresh noise every call (not a seeded stream)', () => {
    const first = new Float64Array(8)
    const second = new Float64Array(8)
    privatizeInPlace(first, 1, 1, 1, new SecureRandom())
    privatizeInPlace(second, 1, 1, 1, new SecureRandom())
    expect(Array.from(first)).not.toEqual(Array.from(second))
  })

  it('has Gaussian tails: the share beyond 2 standard deviations is about 4.55%', () => {
    const count = 200_000
    const values = new Float64Array(count)
    new SecureRandom().addGaussianInPlace(values, 2)
    const beyond = values.filter((v) => Math.abs(v) > 4).length / count
    // Binomial standard error sqrt(p(1-p)/n) = 4.7e-4; 7 of them.
    expect(Math.abs(beyond - 0.0455)).toBeLessThan(7 * 4.7e-4)
  })
})
