import { describe, expect, it } from 'vitest'
import { PrivinferError } from '../../../core/errors.ts'
import {
  calibrateNoiseMultiplier,
  computeRdp,
  DEFAULT_RDP_ORDERS,
  epsilonRdp,
  exactGaussianEpsilon,
  RdpAccountant,
  rdpOfSampledGaussian,
} from '../../../training/accountant/index.ts'

function relativeError(actual: number, expected: number): number {
  return Math.abs(actual - expected) / Math.abs(expected)
}

/**
 * An independent evaluation of A_alpha = E_{x ~ N(0, sigma^2)} [(1 - q + q e^{(2x - 1)/(2 sigma^2)})^alpha]
 * (Mironov, Talwar, Zhang 2019, Section 3.3) by the trapezoid rule on a fine grid, in log space.
 * It knows nothing of binomial series or erfc, so it checks both expansions of rdp.ts.
 */
function rdpByQuadrature(q: number, sigma: number, order: number): number {
  const from = -40 * sigma
  const to = 40 * sigma + order // the tilted integrand peaks near x = (order - 1/2)... well inside
  const count = 400_000
  const h = (to - from) / count
  const logTerms = new Float64Array(count + 1)
  let max = -Infinity
  for (let k = 0; k <= count; k++) {
    const x = from + k * h
    const logDensity = -(x * x) / (2 * sigma * sigma) - Math.log(sigma * Math.sqrt(2 * Math.PI))
    const exponent = (2 * x - 1) / (2 * sigma * sigma)
    // log(1 - q + q e^u) computed stably on both sides of u = 0.
    const logMixture =
      exponent > 0
        ? exponent + Math.log(q + (1 - q) * Math.exp(-exponent))
        : Math.log1p(q * Math.expm1(exponent))
    const weight = k === 0 || k === count ? 0.5 : 1
    logTerms[k] = logDensity + order * logMixture + Math.log(weight)
    if (logTerms[k] > max) max = logTerms[k]
  }
  let sum = 0
  for (const logTerm of logTerms) sum += Math.exp(logTerm - max)
  return (max + Math.log(sum * h)) / (order - 1)
}

describe('RDP of the Poisson-subsampled Gaussian', () => {
  it('is alpha / (2 sigma^2) without subsampling', () => {
    for (const order of [1.5, 2, 7.3, 64])
      expect(rdpOfSampledGaussian(1, 1.3, order)).toBeCloseTo(order / (2 * 1.69), 14)
  })

  it.each([
    [0.01, 1.1, 2.5],
    [0.3, 0.8, 3.7],
    [0.5, 2.0, 1.3],
    [0.0042666, 1.1, 8.1],
    [0.1, 1.0, 12],
    [0.02, 5.0, 250],
  ])('matches direct numerical integration for q=%f, sigma=%f, order %f', (q, sigma, order) => {
    expect(
      relativeError(rdpOfSampledGaussian(q, sigma, order), rdpByQuadrature(q, sigma, order)),
    ).toBeLessThan(1e-8)
  })

  it('the fractional expansion meets the integer expansion at integer orders', () => {
    for (const order of [2, 8, 17]) {
      const atInteger = rdpOfSampledGaussian(0.01, 0.9, order)
      const justAbove = rdpOfSampledGaussian(0.01, 0.9, order + 1e-9)
      expect(relativeError(justAbove, atInteger)).toBeLessThan(1e-6)
    }
  })

  it('composes linearly over steps', () => {
    const one = computeRdp({ sampleRate: 0.01, noiseMultiplier: 1, steps: 1 })
    const many = computeRdp({ sampleRate: 0.01, noiseMultiplier: 1, steps: 1234 })
    for (let k = 0; k < one.length; k++) expect(many[k]).toBeCloseTo(1234 * one[k], 9)
  })

  it('uses a wide list of orders: fractional ones below 20, integers far beyond 63', () => {
    expect(
      DEFAULT_RDP_ORDERS.some((order) => !Number.isInteger(order) && order > 8 && order < 9),
    ).toBe(true)
    expect(Math.max(...DEFAULT_RDP_ORDERS)).toBeGreaterThanOrEqual(512)
    expect(Math.min(...DEFAULT_RDP_ORDERS)).toBeLessThan(1.1)
  })
})

describe('epsilonRdp against Opacus 1.5.4', () => {
  it('q = 256/60000, sigma = 1.1, 14063 steps, delta = 1e-5: epsilon 2.597 at order about 8.1', () => {
    const { epsilon, bestOrder } = epsilonRdp({
      sampleRate: 256 / 60000,
      noiseMultiplier: 1.1,
      steps: 14063,
      delta: 1e-5,
    })
    expect(relativeError(epsilon, 2.597)).toBeLessThanOrEqual(1e-3)
    expect(bestOrder).toBeGreaterThan(7.8)
    expect(bestOrder).toBeLessThan(8.4)
    expect(Number.isInteger(bestOrder)).toBe(false)
  })

  it('q = 1, sigma = 1, one step: 4.7285, above the exact Gaussian epsilon 4.3772', () => {
    const { epsilon } = epsilonRdp({ sampleRate: 1, noiseMultiplier: 1, steps: 1, delta: 1e-5 })
    expect(relativeError(epsilon, 4.7285)).toBeLessThanOrEqual(1e-3)
    const exact = exactGaussianEpsilon({ noiseMultiplier: 1, delta: 1e-5 })
    expect(relativeError(exact, 4.3772)).toBeLessThanOrEqual(1e-4)
    expect(epsilon).toBeGreaterThan(exact)
  })

  it('is never below the exact Gaussian epsilon when q = 1', () => {
    for (const [sigma, steps, delta] of [
      [0.7, 1, 1e-5],
      [2, 10, 1e-6],
      [5, 100, 1e-3],
    ]) {
      const { epsilon } = epsilonRdp({ sampleRate: 1, noiseMultiplier: sigma, steps, delta })
      expect(epsilon).toBeGreaterThanOrEqual(
        exactGaussianEpsilon({ noiseMultiplier: sigma, steps, delta }),
      )
    }
  })
})

describe('monotonicity', () => {
  const base = { sampleRate: 0.01, noiseMultiplier: 1.0, steps: 1000, delta: 1e-5 }
  const epsilonOf = (change: Partial<typeof base>) => epsilonRdp({ ...base, ...change }).epsilon

  it('decreases with the noise multiplier', () => {
    const values = [0.6, 0.8, 1, 1.5, 3, 10].map((noiseMultiplier) =>
      epsilonOf({ noiseMultiplier }),
    )
    for (let k = 1; k < values.length; k++) expect(values[k]).toBeLessThan(values[k - 1])
  })

  it('decreases with delta', () => {
    const values = [1e-10, 1e-7, 1e-5, 1e-3, 0.1].map((delta) => epsilonOf({ delta }))
    for (let k = 1; k < values.length; k++) expect(values[k]).toBeLessThan(values[k - 1])
  })

  it('increases with the sampling rate', () => {
    const values = [0.001, 0.005, 0.01, 0.05, 0.2, 1].map((sampleRate) => epsilonOf({ sampleRate }))
    for (let k = 1; k < values.length; k++) expect(values[k]).toBeGreaterThan(values[k - 1])
  })

  it('increases with the number of steps', () => {
    const values = [1, 10, 100, 1000, 10000].map((steps) => epsilonOf({ steps }))
    for (let k = 1; k < values.length; k++) expect(values[k]).toBeGreaterThan(values[k - 1])
  })
})

describe('calibrateNoiseMultiplier (rdp)', () => {
  it('q = 0.032, 1000 steps, delta = 1e-5, epsilon 3: sigma 1.717 (Opacus 1.5.4)', () => {
    const { noiseMultiplier, epsilon } = calibrateNoiseMultiplier({
      sampleRate: 0.032,
      steps: 1000,
      delta: 1e-5,
      epsilon: 3,
    })
    expect(relativeError(noiseMultiplier, 1.717)).toBeLessThanOrEqual(1e-3)
    expect(epsilon).toBeLessThanOrEqual(3)
  })

  it.each([
    [256 / 60000, 14063, 1e-5, 2.597],
    [0.01, 500, 1e-5, 1],
    [0.1, 50, 1e-6, 8],
    [1, 1, 1e-5, 0.5],
  ])('round trips: q=%f, %i steps, delta=%f, epsilon %f', (sampleRate, steps, delta, target) => {
    const { noiseMultiplier, epsilon } = calibrateNoiseMultiplier({
      sampleRate,
      steps,
      delta,
      epsilon: target,
    })
    const recomputed = epsilonRdp({ sampleRate, noiseMultiplier, steps, delta }).epsilon
    expect(recomputed).toBe(epsilon)
    expect(recomputed).toBeLessThanOrEqual(target)
    expect(relativeError(recomputed, target)).toBeLessThan(2e-3)
    // Minimal: a noise multiplier 2e-4 smaller (twice the tolerance) overshoots the target.
    expect(
      epsilonRdp({ sampleRate, noiseMultiplier: noiseMultiplier * (1 - 2e-4), steps, delta })
        .epsilon,
    ).toBeGreaterThan(target)
  })

  it('recovers the noise multiplier of the 60-epoch MNIST reference from its epsilon', () => {
    const { noiseMultiplier } = calibrateNoiseMultiplier({
      sampleRate: 256 / 60000,
      steps: 14063,
      delta: 1e-5,
      epsilon: 2.5966,
    })
    expect(relativeError(noiseMultiplier, 1.1)).toBeLessThan(1e-3)
  })
})

describe('RdpAccountant', () => {
  it('accumulates steps to the same epsilon as epsilonRdp', () => {
    const accountant = new RdpAccountant({ sampleRate: 256 / 60000, noiseMultiplier: 1.1 })
    expect(accountant.epsilon(1e-5).epsilon).toBe(0)
    for (let epoch = 0; epoch < 60; epoch++) accountant.step(234)
    accountant.step(23)
    expect(accountant.steps).toBe(14063)
    const direct = epsilonRdp({
      sampleRate: 256 / 60000,
      noiseMultiplier: 1.1,
      steps: 14063,
      delta: 1e-5,
    })
    expect(relativeError(accountant.epsilon(1e-5).epsilon, direct.epsilon)).toBeLessThan(1e-12)
    expect(accountant.epsilon(1e-5).bestOrder).toBe(direct.bestOrder)
  })

  it('composes a change of noise multiplier mid-training', () => {
    const accountant = new RdpAccountant({ sampleRate: 0.01, noiseMultiplier: 1 })
    accountant.step(100)
    const before = accountant.epsilon(1e-5).epsilon
    accountant.step(100, { sampleRate: 0.01, noiseMultiplier: 2 })
    const after = accountant.epsilon(1e-5).epsilon
    expect(after).toBeGreaterThan(before)
    expect(after).toBeLessThan(
      epsilonRdp({ sampleRate: 0.01, noiseMultiplier: 1, steps: 200, delta: 1e-5 }).epsilon,
    )
  })
})

describe('invalid arguments', () => {
  const valid = { sampleRate: 0.01, noiseMultiplier: 1, steps: 100, delta: 1e-5 }
  it.each([
    ['sampleRate 0', { sampleRate: 0 }],
    ['sampleRate 1.5', { sampleRate: 1.5 }],
    ['sampleRate NaN', { sampleRate: Number.NaN }],
    ['noiseMultiplier 0', { noiseMultiplier: 0 }],
    ['noiseMultiplier -1', { noiseMultiplier: -1 }],
    ['noiseMultiplier Infinity', { noiseMultiplier: Infinity }],
    ['steps 0', { steps: 0 }],
    ['steps 1.5', { steps: 1.5 }],
    ['delta 0', { delta: 0 }],
    ['delta 1', { delta: 1 }],
    ['orders with 1', { orders: [1, 2] }],
    ['empty orders', { orders: [] }],
  ])('epsilonRdp rejects %s with ACCOUNTANT_INVALID', (_name, change) => {
    expect(() => epsilonRdp({ ...valid, ...change })).toThrow(
      expect.objectContaining({ code: 'ACCOUNTANT_INVALID' }),
    )
    try {
      epsilonRdp({ ...valid, ...change })
    } catch (error) {
      expect(error).toBeInstanceOf(PrivinferError)
    }
  })

  it('calibration and the incremental accountant reject bad input too', () => {
    const invalid = expect.objectContaining({ code: 'ACCOUNTANT_INVALID' })
    expect(() =>
      calibrateNoiseMultiplier({ sampleRate: 0.01, steps: 100, delta: 1e-5, epsilon: 0 }),
    ).toThrow(invalid)
    expect(() =>
      calibrateNoiseMultiplier({
        sampleRate: 0.01,
        steps: 100,
        delta: 1e-5,
        epsilon: 1,
        accountant: 'moments' as 'rdp',
      }),
    ).toThrow(invalid)
    expect(() => new RdpAccountant({ sampleRate: 2, noiseMultiplier: 1 })).toThrow(invalid)
    const accountant = new RdpAccountant({ sampleRate: 0.01, noiseMultiplier: 1 })
    expect(() => accountant.step(-1)).toThrow(invalid)
    expect(() => accountant.epsilon(0)).toThrow(invalid)
  })
})
