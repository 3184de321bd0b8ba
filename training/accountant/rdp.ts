/**
 * Renyi differential privacy of the Poisson-subsampled Gaussian mechanism, and its conversion to
 * (epsilon, delta)-DP.
 *
 * - RDP of one step: Mironov, Talwar and Zhang 2019, "Renyi Differential Privacy of the Sampled
 *   Gaussian Mechanism" (arXiv:1908.10530), Section 3.3: A_alpha by the binomial expansion for
 *   integer orders, and by the two-series expansion with erfc tails for fractional orders. All
 *   sums run in log space: the terms reach e^{+-700} for large orders.
 * - Composition: RDP adds up over steps (Mironov 2017, "Renyi Differential Privacy", Prop. 1).
 * - Conversion: Balle, Barthe, Gaboardi, Hsu and Sato 2020, "Hypothesis Testing Interpretations
 *   and Renyi Differential Privacy" (arXiv:1905.09982, Theorem 21), the bound also in Canonne,
 *   Kamath and Steinke 2020, "The Discrete Gaussian for Differential Privacy":
 *   epsilon = rdp - (log(delta) + log(alpha)) / (alpha - 1) + log((alpha - 1) / alpha),
 *   minimised over the orders. It is the formula Opacus 1.5 uses (get_privacy_spent).
 */
import {
  checkDelta,
  checkNoiseMultiplier,
  checkOrders,
  checkSampleRate,
  checkSteps,
} from './validate.ts'
import { logAdd, logErfc, logSub } from './special-functions.ts'

/**
 * Builds the default orders. Opacus stops at 63 (1.1..10.9 by 0.1, then 12..63); we go finer
 * and wider because the optimum moves to large orders when epsilon is small (many steps, large
 * sigma) and to orders near 1 when epsilon is large, and a grid that is too coarse or too short
 * only ever overstates epsilon.
 */
function buildDefaultOrders(): number[] {
  const orders: number[] = []
  for (let k = 1; k < 20; k++) orders.push(1 + k / 20) // 1.05 .. 1.95
  for (let k = 0; k <= 180; k++) orders.push(Math.round((2 + k / 10) * 10) / 10) // 2.0 .. 20.0
  for (let order = 21; order <= 64; order++) orders.push(order)
  for (let order = 68; order <= 256; order += 4) orders.push(order)
  for (let order = 288; order <= 512; order += 32) orders.push(order)
  orders.push(640, 768, 1024)
  return orders
}

/**
 * The default RDP orders: 1.05..1.95 by 0.05, 2..20 by 0.1, 21..64, 68..256 by 4, 288..512 by 32,
 * 640, 768, 1024 (about 300 orders; one epsilon costs about 5 ms).
 */
export const DEFAULT_RDP_ORDERS: readonly number[] = Object.freeze(buildDefaultOrders())

/** log A_alpha for an integer order: A_alpha = sum_i C(alpha,i) q^i (1-q)^(alpha-i) e^{(i^2-i)/(2 sigma^2)}. */
function logAForIntegerOrder(q: number, sigma: number, order: number): number {
  const logQ = Math.log(q)
  const log1mQ = Math.log1p(-q)
  const twoSigma2 = 2 * sigma * sigma
  let logA = -Infinity
  let logBinomial = 0 // log C(order, 0)
  for (let i = 0; i <= order; i++) {
    if (i > 0) logBinomial += Math.log((order - i + 1) / i)
    const term = logBinomial + i * logQ + (order - i) * log1mQ + (i * i - i) / twoSigma2
    logA = logAdd(logA, term)
  }
  return logA
}

/**
 * log A_alpha for a fractional order: A_alpha is split at z0 = sigma^2 log(1/q - 1) + 1/2, where
 * the two Gaussian densities of the mixture cross, into two series whose terms carry the Gaussian
 * tail probabilities erfc(...)/2 (Mironov, Talwar, Zhang 2019, Section 3.3). The generalized
 * binomial coefficients C(alpha, i) change sign once i > alpha, hence the signed log sums. The
 * series is stopped once both terms fall below e^-30 relative to 1, as in Opacus and TF-privacy.
 */
function logAForFractionalOrder(q: number, sigma: number, order: number): number {
  const logQ = Math.log(q)
  const log1mQ = Math.log1p(-q)
  const sigma2 = sigma * sigma
  const z0 = sigma2 * Math.log(1 / q - 1) + 0.5
  const erfcScale = Math.SQRT2 * sigma
  let logA0 = -Infinity
  let logA1 = -Infinity
  let logAbsBinomial = 0 // log |C(order, 0)|
  let binomialSign = 1
  for (let i = 0; ; i++) {
    if (i > 0) {
      const factor = (order - i + 1) / i
      logAbsBinomial += Math.log(Math.abs(factor))
      if (factor < 0) binomialSign = -binomialSign
    }
    const j = order - i
    const logT0 = logAbsBinomial + i * logQ + j * log1mQ
    const logT1 = logAbsBinomial + j * logQ + i * log1mQ
    const logE0 = Math.log(0.5) + logErfc((i - z0) / erfcScale)
    const logE1 = Math.log(0.5) + logErfc((z0 - j) / erfcScale)
    const logS0 = logT0 + (i * i - i) / (2 * sigma2) + logE0
    const logS1 = logT1 + (j * j - j) / (2 * sigma2) + logE1
    if (binomialSign > 0) {
      logA0 = logAdd(logA0, logS0)
      logA1 = logAdd(logA1, logS1)
    } else {
      logA0 = logSub(logA0, logS0)
      logA1 = logSub(logA1, logS1)
    }
    if (Math.max(logS0, logS1) < -30) break
    if (i > 1_000_000) throw new RangeError(`RDP series did not converge at order ${order}`)
  }
  return logAdd(logA0, logA1)
}

/**
 * RDP epsilon(alpha) of ONE step of the Poisson-subsampled Gaussian mechanism with sampling rate
 * q and noise multiplier sigma. q = 1 is the plain Gaussian mechanism: alpha / (2 sigma^2).
 * Arguments are not validated here (hot path); see computeRdp.
 */
export function rdpOfSampledGaussian(
  sampleRate: number,
  noiseMultiplier: number,
  order: number,
): number {
  if (sampleRate === 1) return order / (2 * noiseMultiplier * noiseMultiplier)
  if (!Number.isFinite(order)) return Infinity
  if (Number.isInteger(order))
    return logAForIntegerOrder(sampleRate, noiseMultiplier, order) / (order - 1)
  try {
    return logAForFractionalOrder(sampleRate, noiseMultiplier, order) / (order - 1)
  } catch (error) {
    // The alternating series lost its precision (very small sigma with a large fractional
    // order). Dropping this order from the minimum is sound: epsilon can only get larger.
    if (error instanceof RangeError) return Infinity
    throw error
  }
}

export interface RdpArguments {
  /** Poisson sampling rate q in (0, 1]. */
  sampleRate: number
  /** Noise standard deviation divided by the clipping norm. */
  noiseMultiplier: number
  /** Number of steps (compositions). */
  steps: number
  /** RDP orders (> 1); DEFAULT_RDP_ORDERS if omitted. */
  orders?: readonly number[]
}

/**
 * RDP of `steps` compositions at each order: steps * rdpOfSampledGaussian(q, sigma, alpha).
 * @throws PrivinferError ACCOUNTANT_INVALID on invalid arguments.
 */
export function computeRdp({
  sampleRate,
  noiseMultiplier,
  steps,
  orders = DEFAULT_RDP_ORDERS,
}: RdpArguments): Float64Array {
  checkSampleRate(sampleRate)
  checkNoiseMultiplier(noiseMultiplier)
  checkSteps(steps, { allowZero: true })
  checkOrders(orders)
  return Float64Array.from(
    orders,
    (order) => steps * rdpOfSampledGaussian(sampleRate, noiseMultiplier, order),
  )
}

export interface RdpEpsilon {
  /** The smallest epsilon over the orders. */
  epsilon: number
  /** The order where the minimum is reached. */
  bestOrder: number
}

/**
 * Converts RDP values (at the given orders) to (epsilon, delta)-DP with the bound of Balle et al.
 * 2020 (Theorem 21), and returns the best order. Epsilon is clamped at 0 (the bound can dip
 * slightly below 0 for vanishing RDP, where 0 is the truth).
 * @throws PrivinferError ACCOUNTANT_INVALID on invalid delta or orders.
 */
export function rdpToEpsilon(
  orders: readonly number[],
  rdp: ArrayLike<number>,
  delta: number,
): RdpEpsilon {
  checkDelta(delta)
  checkOrders(orders)
  if (rdp.length !== orders.length)
    throw new RangeError('rdpToEpsilon: orders and rdp differ in length')
  const logDelta = Math.log(delta)
  let epsilon = Infinity
  let bestOrder = Number.NaN
  for (let k = 0; k < orders.length; k++) {
    const order = orders[k]
    const value = rdp[k] - (logDelta + Math.log(order)) / (order - 1) + Math.log1p(-1 / order)
    if (value < epsilon) {
      epsilon = value
      bestOrder = order
    }
  }
  return { epsilon: Math.max(0, epsilon), bestOrder }
}

export interface EpsilonRdpArguments extends RdpArguments {
  /** delta in (0, 1). */
  delta: number
}

/**
 * (epsilon, delta) of `steps` Poisson-subsampled Gaussian steps by the RDP accountant.
 * @example epsilonRdp({ sampleRate: 256 / 60000, noiseMultiplier: 1.1, steps: 14063, delta: 1e-5 })
 *   // about { epsilon: 2.597, bestOrder: 8.1 } (Opacus 1.5.4: 2.597)
 * @throws PrivinferError ACCOUNTANT_INVALID on invalid arguments.
 */
export function epsilonRdp(args: EpsilonRdpArguments): RdpEpsilon {
  const orders = args.orders ?? DEFAULT_RDP_ORDERS
  checkDelta(args.delta)
  checkSteps(args.steps)
  const rdp = computeRdp({ ...args, orders })
  return rdpToEpsilon(orders, rdp, args.delta)
}
