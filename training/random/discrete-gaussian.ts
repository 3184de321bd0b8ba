/**
 * Exact sampling of the discrete Gaussian N_Z(0, sigma^2), P[X = x] proportional to
 * exp(-x^2 / (2 sigma^2)) on the integers: Canonne, Kamath and Steinke 2020, "The Discrete Gaussian
 * for Differential Privacy" (NeurIPS 2020, arXiv:2004.00010), Algorithms 1-3.
 *
 * Every step is exact integer or rational arithmetic on uniformly random integers from node:crypto
 * (SecureRandom): no floating-point sample ever enters the mechanism, so the floating-point attacks
 * on textbook samplers (Mironov 2012 for the Laplace mechanism; Jin et al. 2022, arXiv:2112.05307,
 * for Box-Muller and polar Gaussians) have nothing to work with. sigma^2 is an integer here (the
 * DP-SGD caller rounds it UP, which only adds noise).
 *
 * - bernoulliRational(n, d):   1 with probability n/d (one uniform integer below d).
 * - bernoulliExpMinus(n, d):   1 with probability exp(-n/d): for gamma in [0, 1], K = 1, 2, ... while
 *                              Bernoulli(gamma / K) succeeds, and the answer is "K odd"; larger gamma
 *                              splits into floor(gamma) Bernoulli(exp(-1)) and the fractional part.
 * - discreteLaplace(t):        P[Y = y] proportional to exp(-|y| / t) (Algorithm 2).
 * - discreteGaussian(sigma^2): discrete Laplace with t = floor(sigma) + 1, accepted with probability
 *                              exp(-(|Y| - sigma^2/t)^2 / (2 sigma^2)) (Algorithm 3).
 *
 * Cost: about 2-3 loop rounds per sample, each with a handful of uniform draws; the last acceptance
 * test uses BigInt (its numerator reaches ~1e30 for sigma ~ 1e7). Timing depends on the sample:
 * timing side channels of the training machine are out of scope (docs/privacy.md).
 */
import { PrivinferError } from '../../core/errors.ts'
import type { SecureRandom } from './secure-random.ts'

const TWO_POW_32 = 4294967296
const TWO_POW_53 = 9007199254740992

/** Uniform integer in [0, bound) for a Number bound <= 2^53 (rejection sampling, exact). */
function uniformBelowNumber(random: SecureRandom, bound: number): number {
  if (bound <= TWO_POW_32) {
    // Largest multiple of `bound` below 2^32: words at or above it are rejected.
    const limit = TWO_POW_32 - (TWO_POW_32 % bound)
    for (;;) {
      const word = random.nextUint32()
      if (word < limit) return word % bound
    }
  }
  const limit = TWO_POW_53 - (TWO_POW_53 % bound)
  for (;;) {
    const value = (random.nextUint32() >>> 11) * TWO_POW_32 + random.nextUint32()
    if (value < limit) return value % bound
  }
}

/** Uniform BigInt in [0, bound): rejection on ceil(log2 bound) random bits. */
function uniformBelowBigInt(random: SecureRandom, bound: bigint): bigint {
  const bits = bound.toString(2).length
  const words = Math.ceil(bits / 32)
  const excess = BigInt(words * 32 - bits)
  for (;;) {
    let value = 0n
    for (let w = 0; w < words; w++) value = (value << 32n) | BigInt(random.nextUint32())
    value >>= excess
    if (value < bound) return value
  }
}

/** 1 with probability numerator / denominator (0 <= numerator <= denominator, denominator >= 1). */
export function bernoulliRational(
  random: SecureRandom,
  numerator: bigint,
  denominator: bigint,
): boolean {
  if (denominator <= BigInt(TWO_POW_53)) {
    return BigInt(uniformBelowNumber(random, Number(denominator))) < numerator
  }
  return uniformBelowBigInt(random, denominator) < numerator
}

/**
 * 1 with probability exp(-numerator / denominator) for a rational gamma = numerator / denominator >= 0
 * (CKS20 Algorithm 1).
 */
export function bernoulliExpMinus(
  random: SecureRandom,
  numerator: bigint,
  denominator: bigint,
): boolean {
  if (numerator < 0n || denominator <= 0n) {
    throw new PrivinferError('INTERNAL', 'bernoulliExpMinus needs gamma >= 0', {
      numerator: numerator.toString(),
      denominator: denominator.toString(),
    })
  }
  let remaining = numerator
  // exp(-gamma) = exp(-1)^floor(gamma) * exp(-(gamma - floor(gamma))).
  while (remaining > denominator) {
    if (!bernoulliExpMinusAtMostOne(random, 1n, 1n)) return false
    remaining -= denominator
  }
  return bernoulliExpMinusAtMostOne(random, remaining, denominator)
}

/** exp(-gamma) for gamma in [0, 1]: P[K odd] where K is the first k with Bernoulli(gamma/k) = 0. */
function bernoulliExpMinusAtMostOne(
  random: SecureRandom,
  numerator: bigint,
  denominator: bigint,
): boolean {
  let k = 1n
  while (bernoulliRational(random, numerator, denominator * k)) k++
  return k % 2n === 1n
}

/**
 * P[Y = y] proportional to exp(-|y| / t) on the integers, for an integer scale t >= 1
 * (CKS20 Algorithm 2). Returns a Number (|y| stays far below 2^53 for the scales used here).
 */
export function discreteLaplace(random: SecureRandom, scale: number): number {
  if (!Number.isSafeInteger(scale) || scale < 1) {
    throw new PrivinferError('INTERNAL', `discrete Laplace scale must be a positive integer`, {
      scale,
    })
  }
  const t = BigInt(scale)
  for (;;) {
    const u = uniformBelowNumber(random, scale)
    if (!bernoulliExpMinus(random, BigInt(u), t)) continue
    let v = 0
    while (bernoulliExpMinus(random, 1n, 1n)) v++
    const magnitude = u + scale * v
    const negative = (random.nextUint32() & 1) === 1
    if (negative && magnitude === 0) continue
    return negative ? -magnitude : magnitude
  }
}

/** Integer square root floor(sqrt(n)) of a non-negative BigInt (Newton's method). */
function integerSqrt(n: bigint): bigint {
  if (n < 2n) return n
  let x = BigInt(Math.floor(Math.sqrt(Number(n))))
  // Correct the float estimate in both directions: exact for every n.
  while (x * x > n) x--
  while ((x + 1n) * (x + 1n) <= n) x++
  return x
}

/**
 * A sampler of N_Z(0, sigma^2) for one integer variance sigma^2 >= 1 (CKS20 Algorithm 3).
 * @example new DiscreteGaussian(random, 4n).sample() // an integer, standard deviation about 2
 */
export class DiscreteGaussian {
  readonly variance: bigint
  /** t = floor(sigma) + 1, the discrete Laplace scale of the proposal. */
  readonly laplaceScale: number
  private readonly random: SecureRandom

  constructor(random: SecureRandom, variance: bigint) {
    if (variance < 1n) {
      throw new PrivinferError('INTERNAL', 'discrete Gaussian variance must be at least 1', {
        variance: variance.toString(),
      })
    }
    this.random = random
    this.variance = variance
    const scale = integerSqrt(variance) + 1n
    if (scale > BigInt(TWO_POW_32)) {
      throw new PrivinferError('INTERNAL', 'discrete Gaussian sigma above 2^32 is not supported', {
        variance: variance.toString(),
      })
    }
    this.laplaceScale = Number(scale)
  }

  /** One exact sample of N_Z(0, sigma^2). */
  sample(): number {
    const t = BigInt(this.laplaceScale)
    const variance = this.variance
    // Acceptance exp(-(|y| - s/t)^2 / (2 s)) = exp(-(|y| t - s)^2 / (2 s t^2)) with s = sigma^2.
    const denominator = 2n * variance * t * t
    for (;;) {
      const y = discreteLaplace(this.random, this.laplaceScale)
      const offset = BigInt(Math.abs(y)) * t - variance
      if (bernoulliExpMinus(this.random, offset * offset, denominator)) return y
    }
  }
}
