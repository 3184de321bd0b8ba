/**
 * The discrete Gaussian sampler (training/random/discrete-gaussian.ts): exact probabilities for small
 * sigma (chi-square against the pmf), moments and tails for the large sigma DP-SGD uses. Bands are
 * 6-7 standard errors wide, so a correct sampler fails by chance with probability below 1e-8.
 */
import { describe, expect, it } from 'vitest'
import {
  bernoulliExpMinus,
  discreteLaplace,
  DiscreteGaussian,
} from '../../../training/random/discrete-gaussian.ts'
import { SecureRandom } from '../../../training/random/secure-random.ts'

/** Exact pmf of N_Z(0, s) on [-range, range] (the mass beyond is below 1e-12 for the cases here). */
function discreteGaussianPmf(variance: number, range: number): Map<number, number> {
  let total = 0
  const weights = new Map<number, number>()
  for (let x = -range; x <= range; x++) {
    const w = Math.exp(-(x * x) / (2 * variance))
    weights.set(x, w)
    total += w
  }
  for (const [x, w] of weights) weights.set(x, w / total)
  return weights
}

/** Pearson chi-square statistic of `samples` against `pmf`, cells with expectation >= 20 pooled. */
function chiSquare(
  samples: number[],
  pmf: Map<number, number>,
): { statistic: number; cells: number } {
  const counts = new Map<number, number>()
  for (const s of samples) counts.set(s, (counts.get(s) ?? 0) + 1)
  let statistic = 0
  let cells = 0
  let tailExpected = 0
  let tailObserved = 0
  for (const [x, p] of pmf) {
    const expected = p * samples.length
    const observed = counts.get(x) ?? 0
    if (expected >= 20) {
      statistic += (observed - expected) ** 2 / expected
      cells++
    } else {
      tailExpected += expected
      tailObserved += observed
    }
  }
  if (tailExpected > 0) {
    statistic += (tailObserved - tailExpected) ** 2 / tailExpected
    cells++
  }
  return { statistic, cells }
}

/** Upper chi-square quantile bound: mean k plus 7 standard deviations sqrt(2k) (normal approximation, conservative). */
function chiSquareBound(degrees: number): number {
  return degrees + 7 * Math.sqrt(2 * degrees) + 10
}

describe('bernoulliExpMinus', () => {
  it('returns 1 with probability exp(-gamma) for gamma below and above 1', () => {
    const random = new SecureRandom()
    const trials = 40_000
    for (const [num, den] of [
      [1n, 3n],
      [7n, 4n],
      [5n, 2n],
    ] as const) {
      let ones = 0
      for (let i = 0; i < trials; i++) if (bernoulliExpMinus(random, num, den)) ones++
      const p = Math.exp(-Number(num) / Number(den))
      expect(Math.abs(ones / trials - p)).toBeLessThan(7 * Math.sqrt((p * (1 - p)) / trials))
    }
  })
})

describe('discreteLaplace', () => {
  it('matches P[Y = y] proportional to exp(-|y|/t) (chi-square)', () => {
    const random = new SecureRandom()
    const t = 3
    const samples = Array.from({ length: 60_000 }, () => discreteLaplace(random, t))
    let total = 0
    const pmf = new Map<number, number>()
    for (let y = -80; y <= 80; y++) {
      pmf.set(y, Math.exp(-Math.abs(y) / t))
      total += Math.exp(-Math.abs(y) / t)
    }
    for (const [y, w] of pmf) pmf.set(y, w / total)
    const { statistic, cells } = chiSquare(samples, pmf)
    expect(statistic).toBeLessThan(chiSquareBound(cells - 1))
  })
})

describe('DiscreteGaussian', () => {
  it.each([1n, 2n, 9n, 30n])('matches the exact pmf of N_Z(0, %s) (chi-square)', (variance) => {
    const sampler = new DiscreteGaussian(new SecureRandom(), variance)
    const samples = Array.from({ length: 50_000 }, () => sampler.sample())
    const { statistic, cells } = chiSquare(samples, discreteGaussianPmf(Number(variance), 200))
    expect(statistic).toBeLessThan(chiSquareBound(cells - 1))
  })

  it('rejects a chi-square test against the wrong variance (the test can fail)', () => {
    const sampler = new DiscreteGaussian(new SecureRandom(), 9n)
    const samples = Array.from({ length: 50_000 }, () => sampler.sample())
    const { statistic, cells } = chiSquare(samples, discreteGaussianPmf(10, 200))
    expect(statistic).toBeGreaterThan(chiSquareBound(cells - 1))
  })

  it('has mean 0, variance sigma^2 and Gaussian tails at the sigma DP-SGD uses (~1e7)', () => {
    const sigma = 15.3 * 2 ** 20
    const variance = BigInt(Math.ceil(sigma * sigma))
    const sampler = new DiscreteGaussian(new SecureRandom(), variance)
    const count = 100_000
    let sum = 0
    let squares = 0
    let fourth = 0
    let beyondTwo = 0
    let beyondFour = 0
    for (let i = 0; i < count; i++) {
      const x = sampler.sample()
      expect(Number.isInteger(x)).toBe(true)
      const z = x / sigma
      sum += z
      squares += z * z
      fourth += z ** 4
      if (Math.abs(z) > 2) beyondTwo++
      if (Math.abs(z) > 4) beyondFour++
    }
    const mean = sum / count
    const variance1 = squares / count
    // Standard errors: mean 1/sqrt(n); second moment sqrt(2/n); fourth moment sqrt(96/n) (E z^8 = 105, minus 9).
    expect(Math.abs(mean)).toBeLessThan(7 / Math.sqrt(count))
    expect(Math.abs(variance1 - 1)).toBeLessThan(7 * Math.sqrt(2 / count))
    expect(Math.abs(fourth / count - 3)).toBeLessThan(7 * Math.sqrt(96 / count))
    // P(|Z| > 2) = 4.550%: binomial band. P(|Z| > 4) = 6.3e-5: at most a few in 1e5 (Poisson, mean 6.3).
    const p2 = 0.0455
    expect(Math.abs(beyondTwo / count - p2)).toBeLessThan(7 * Math.sqrt((p2 * (1 - p2)) / count))
    expect(beyondFour).toBeLessThan(25)
  })

  it('draws fresh samples every time (not a seeded stream)', () => {
    const first = new DiscreteGaussian(new SecureRandom(), 10n ** 12n)
    const second = new DiscreteGaussian(new SecureRandom(), 10n ** 12n)
    const a = Array.from({ length: 8 }, () => first.sample())
    const b = Array.from({ length: 8 }, () => second.sample())
    expect(a).not.toEqual(b)
  })
})
