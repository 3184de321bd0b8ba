/**
 * PRV accountant tests. Each epsilonPrv call at the defaults (epsilonError 0.01) costs between
 * milliseconds (few steps: coarse mesh) and ~1 s (the 14,063-step MNIST reference: 2^19 points);
 * the cases below are chosen so the whole file runs in a few seconds. A 10x smaller epsilonError
 * would make each grid 10x larger and the reference case ~10 s.
 */
import { describe, expect, it } from 'vitest'
import {
  calibrateNoiseMultiplier,
  epsilonPrv,
  epsilonRdp,
  exactGaussianEpsilon,
} from '../../../training/accountant/index.ts'
import { subsampledGaussianPrvCdf } from '../../../training/accountant/prv.ts'

function relativeError(actual: number, expected: number): number {
  return Math.abs(actual - expected) / Math.abs(expected)
}

describe('the privacy loss distribution of one subsampled Gaussian step', () => {
  it('has CDF and survival that add up to 1 and a CDF that increases', () => {
    let previous = 0
    for (let t = -0.2; t < 6; t += 0.01) {
      const { cdf, sf } = subsampledGaussianPrvCdf(0.05, 1.1, t)
      expect(cdf + sf).toBeCloseTo(1, 14)
      expect(cdf).toBeGreaterThanOrEqual(previous)
      previous = cdf
    }
  })

  it('agrees with a Monte-Carlo-free integral: P(Y <= t) = P_X(log(1 - q + q e^{(2X-1)/(2 sigma^2)}) <= t)', () => {
    // Integrate the mixture density over {x : loss(x) <= t} by the trapezoid rule, independently
    // of the closed-form inverse used by the accountant.
    const q = 0.2
    const sigma = 0.9
    const loss = (x: number) => Math.log(1 - q + q * Math.exp((2 * x - 1) / (2 * sigma * sigma)))
    const density = (x: number) =>
      ((1 - q) * Math.exp(-(x * x) / (2 * sigma * sigma)) +
        q * Math.exp(-((x - 1) ** 2) / (2 * sigma * sigma))) /
      (sigma * Math.sqrt(2 * Math.PI))
    for (const t of [-0.1, 0.05, 0.5, 1.5]) {
      const h = 1e-4
      let integral = 0
      for (let x = -12; x < 12; x += h) if (loss(x + h / 2) <= t) integral += density(x + h / 2) * h
      // The midpoint sum with a step cut-off at the boundary is good to a few 1e-6.
      expect(subsampledGaussianPrvCdf(q, sigma, t).cdf).toBeCloseTo(integral, 4)
    }
  })
})

describe('epsilonPrv', () => {
  it('q = 256/60000, sigma = 1.1, 14063 steps, delta = 1e-5: about 2.39 (Opacus 1.5.4), below RDP', () => {
    const result = epsilonPrv({
      sampleRate: 256 / 60000,
      noiseMultiplier: 1.1,
      steps: 14063,
      delta: 1e-5,
    })
    expect(relativeError(result.epsilon, 2.39)).toBeLessThanOrEqual(1e-3)
    expect(result.epsilonLower).toBeLessThan(result.epsilonEstimate)
    expect(result.epsilonEstimate).toBeLessThan(result.epsilon)
    expect(result.epsilon - result.epsilonLower).toBeLessThan(0.05)
    const rdp = epsilonRdp({
      sampleRate: 256 / 60000,
      noiseMultiplier: 1.1,
      steps: 14063,
      delta: 1e-5,
    }).epsilon
    expect(result.epsilon).toBeLessThan(rdp)
  })

  it('q = 1, sigma = 1, one step: never below the exact 4.3772 and within the error margin of it', () => {
    const exact = exactGaussianEpsilon({ noiseMultiplier: 1, delta: 1e-5 })
    expect(relativeError(exact, 4.3772)).toBeLessThan(1e-4)
    const result = epsilonPrv({ sampleRate: 1, noiseMultiplier: 1, steps: 1, delta: 1e-5 })
    expect(result.epsilon).toBeGreaterThanOrEqual(exact)
    expect(result.epsilon - exact).toBeLessThanOrEqual(0.0105)
    expect(Math.abs(result.epsilonEstimate - exact)).toBeLessThan(1e-3)
    expect(result.epsilonLower).toBeLessThanOrEqual(exact)
  })

  it.each([
    [10, 100, 1e-5],
    [3, 20, 1e-6],
    [0.8, 7, 1e-3],
  ])(
    'composes by FFT: q = 1, sigma %f, %i steps matches the exact Gaussian composition',
    (sigma, steps, delta) => {
      const exact = exactGaussianEpsilon({ noiseMultiplier: sigma, steps, delta })
      const result = epsilonPrv({ sampleRate: 1, noiseMultiplier: sigma, steps, delta })
      expect(result.epsilon).toBeGreaterThanOrEqual(exact)
      expect(result.epsilonLower).toBeLessThanOrEqual(exact)
      expect(Math.abs(result.epsilonEstimate - exact)).toBeLessThan(2e-3)
    },
  )

  it('stays below RDP and above its own lower bound for subsampled mechanisms', () => {
    for (const [sampleRate, noiseMultiplier, steps] of [
      [0.01, 1, 1000],
      [0.1, 2, 300],
      [0.5, 3, 10],
    ]) {
      const prv = epsilonPrv({ sampleRate, noiseMultiplier, steps, delta: 1e-5 })
      const rdp = epsilonRdp({ sampleRate, noiseMultiplier, steps, delta: 1e-5 }).epsilon
      expect(prv.epsilon).toBeLessThan(rdp)
      expect(prv.epsilonLower).toBeLessThan(prv.epsilon)
    }
  })

  describe('monotonicity', () => {
    const base = { sampleRate: 0.05, noiseMultiplier: 1.2, steps: 100, delta: 1e-5 }
    const epsilonOf = (change: Partial<typeof base>) => epsilonPrv({ ...base, ...change }).epsilon
    const decreasing = (values: number[]) =>
      values.every((value, k) => k === 0 || value < values[k - 1])
    const increasing = (values: number[]) =>
      values.every((value, k) => k === 0 || value > values[k - 1])
    it('decreases with sigma and delta', () => {
      expect(
        decreasing([0.8, 1.2, 2, 4].map((noiseMultiplier) => epsilonOf({ noiseMultiplier }))),
      ).toBe(true)
      expect(decreasing([1e-8, 1e-6, 1e-4, 1e-2].map((delta) => epsilonOf({ delta })))).toBe(true)
    })
    it('increases with q and steps', () => {
      expect(
        increasing([0.01, 0.05, 0.2, 0.5].map((sampleRate) => epsilonOf({ sampleRate }))),
      ).toBe(true)
      expect(increasing([10, 30, 100, 200].map((steps) => epsilonOf({ steps })))).toBe(true)
    })
  })

  it('calibrates sigma with the PRV accountant: round trip, below RDP sigma', () => {
    const target = { sampleRate: 0.05, steps: 200, delta: 1e-5, epsilon: 2 }
    const prv = calibrateNoiseMultiplier({ ...target, accountant: 'prv' })
    const rdp = calibrateNoiseMultiplier({ ...target, accountant: 'rdp' })
    expect(prv.epsilon).toBeLessThanOrEqual(2)
    expect(relativeError(prv.epsilon, 2)).toBeLessThan(5e-3)
    expect(
      epsilonPrv({
        sampleRate: 0.05,
        noiseMultiplier: prv.noiseMultiplier,
        steps: 200,
        delta: 1e-5,
      }).epsilon,
    ).toBe(prv.epsilon)
    expect(prv.noiseMultiplier).toBeLessThan(rdp.noiseMultiplier)
  })

  it('rejects invalid arguments with ACCOUNTANT_INVALID', () => {
    const invalid = expect.objectContaining({ code: 'ACCOUNTANT_INVALID' })
    const valid = { sampleRate: 0.01, noiseMultiplier: 1, steps: 10, delta: 1e-5 }
    expect(() => epsilonPrv({ ...valid, sampleRate: -0.1 })).toThrow(invalid)
    expect(() => epsilonPrv({ ...valid, noiseMultiplier: 0 })).toThrow(invalid)
    expect(() => epsilonPrv({ ...valid, steps: 2.5 })).toThrow(invalid)
    expect(() => epsilonPrv({ ...valid, delta: 1.5 })).toThrow(invalid)
    expect(() => epsilonPrv({ ...valid, deltaError: 1e-4 })).toThrow(invalid)
    expect(() => epsilonPrv({ ...valid, epsilonError: 0 })).toThrow(invalid)
    // A grid beyond 2^23 points is refused rather than exhausting memory.
    expect(() => epsilonPrv({ ...valid, steps: 1_000_000, epsilonError: 1e-4 })).toThrow(invalid)
  })
})

describe('the two adjacency directions (add and remove)', () => {
  it('has an add-direction CDF equal to the integral of N(0, sigma^2) over {x : -log(1 - q + q e^{(2x-1)/(2 sigma^2)}) <= t}', () => {
    const q = 0.2
    const sigma = 0.9
    const loss = (x: number) => -Math.log(1 - q + q * Math.exp((2 * x - 1) / (2 * sigma * sigma)))
    const density = (x: number) =>
      Math.exp(-(x * x) / (2 * sigma * sigma)) / (sigma * Math.sqrt(2 * Math.PI))
    for (const t of [-2, -0.5, 0.05, 0.2]) {
      const h = 1e-4
      let integral = 0
      for (let x = -12; x < 12; x += h) if (loss(x + h / 2) <= t) integral += density(x + h / 2) * h
      const { cdf, sf } = subsampledGaussianPrvCdf(q, sigma, t, 'add')
      expect(cdf).toBeCloseTo(integral, 4)
      expect(cdf + sf).toBeCloseTo(1, 14)
    }
    // The add-direction loss never exceeds -log(1 - q).
    expect(subsampledGaussianPrvCdf(q, sigma, -Math.log1p(-q) + 1e-9, 'add').cdf).toBe(1)
  })

  it('composes the add direction to the hockey-stick divergence of (N(0,s^2), (1-q)N(0,s^2) + qN(1,s^2)) for one step', () => {
    // delta_add(eps) = integral of (Q - e^eps P)_+ , P the mixture, Q = N(0, s^2): computed directly.
    const q = 0.3
    const sigma = 0.7
    const delta = 1e-3
    const phi = (x: number, mean: number) =>
      Math.exp(-((x - mean) ** 2) / (2 * sigma * sigma)) / (sigma * Math.sqrt(2 * Math.PI))
    const deltaAdd = (eps: number) => {
      let total = 0
      const h = 1e-4
      for (let x = -15; x < 15; x += h) {
        const m = x + h / 2
        total += Math.max(0, phi(m, 0) - Math.exp(eps) * ((1 - q) * phi(m, 0) + q * phi(m, 1))) * h
      }
      return total
    }
    const result = epsilonPrv({ sampleRate: q, noiseMultiplier: sigma, steps: 1, delta })
    const add = result.byDirection.add
    // The true add-direction epsilon lies within the accountant's bounds: delta(lower) >= delta >= delta(upper).
    expect(deltaAdd(add.epsilon)).toBeLessThanOrEqual(delta)
    expect(deltaAdd(add.epsilonLower)).toBeGreaterThanOrEqual(delta)
  })

  it('returns the worse direction: remove for typical DP-SGD runs, add where it is larger', () => {
    const typical = epsilonPrv({ sampleRate: 0.01, noiseMultiplier: 0.8, steps: 1000, delta: 1e-5 })
    expect(typical.worseDirection).toBe('remove')
    expect(typical.byDirection.add.epsilon).toBeLessThan(typical.byDirection.remove.epsilon - 0.5)
    expect(typical.epsilon).toBe(typical.byDirection.remove.epsilon)
    // Small epsilon (large sigma, large delta): the add direction's privacy profile is the larger one.
    const small = epsilonPrv({ sampleRate: 0.1, noiseMultiplier: 5, steps: 1, delta: 1e-2 })
    expect(small.byDirection.add.epsilonEstimate).toBeGreaterThan(
      small.byDirection.remove.epsilonEstimate,
    )
    expect(small.worseDirection).toBe('add')
    expect(small.epsilon).toBe(small.byDirection.add.epsilon)
  })

  it('gives the same epsilon in both directions at q = 1 (the Gaussian pair is symmetric)', () => {
    const result = epsilonPrv({ sampleRate: 1, noiseMultiplier: 3, steps: 20, delta: 1e-6 })
    expect(result.byDirection.add.epsilon).toBeCloseTo(result.byDirection.remove.epsilon, 9)
  })
})
