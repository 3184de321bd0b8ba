/**
 * Special functions for the privacy accountants, in float64 with care for the tails: the
 * accountants work with probabilities near 1e-10 and with log-probabilities far below -700, so
 * every quantity that can underflow is also available in log space.
 *
 * No dependency: the error function uses its positive-term Maclaurin series for small arguments
 * and the Laplace continued fraction for large ones (Abramowitz and Stegun 7.1.6 and 7.1.14),
 * both accurate to a few ulps in the ranges where they are used (checked against SciPy in
 * test/training/accountant/special-functions.test.ts).
 */

const SQRT_PI = Math.sqrt(Math.PI)
const SQRT2 = Math.SQRT2
const LOG_SQRT_PI = Math.log(SQRT_PI)

/** Below this argument erfc is computed as 1 - erf from the series; above, by continued fraction. */
const CONTINUED_FRACTION_FROM = 2

/**
 * erf(x) for |x| < ~3 from erf(x) = 2/sqrt(pi) e^{-x^2} sum_n 2^n x^{2n+1} / (2n+1)!!
 * (A&S 7.1.6). All terms have the sign of x, so there is no cancellation, unlike the
 * alternating Taylor series.
 */
function erfBySeries(x: number): number {
  const x2 = x * x
  let term = x
  let sum = x
  for (let n = 1; n < 500; n++) {
    term *= (2 * x2) / (2 * n + 1)
    sum += term
    if (Math.abs(term) <= Math.abs(sum) * 1e-17) break
  }
  return (2 / SQRT_PI) * Math.exp(-x2) * sum
}

/**
 * The scaled complementary error function erfcx(x) = e^{x^2} erfc(x) for x >= 2, from the
 * continued fraction erfc(x) = e^{-x^2}/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))
 * (A&S 7.1.14), evaluated by the modified Lentz algorithm. Converges in a few dozen terms at
 * x = 2 and in a handful for x > 10.
 */
function erfcxByContinuedFraction(x: number): number {
  const tiny = 1e-300
  let f = x
  let c = x
  let d = 0
  for (let k = 1; k < 2000; k++) {
    const a = k / 2
    d = x + a * d
    d = d === 0 ? tiny : 1 / d
    c = x + a / c
    if (c === 0) c = tiny
    const delta = c * d
    f *= delta
    if (Math.abs(delta - 1) < 1e-16) break
  }
  return 1 / (SQRT_PI * f)
}

/** The complementary error function erfc(x) = 1 - erf(x), accurate in relative terms for x > 0. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN
  if (x >= CONTINUED_FRACTION_FROM) {
    // exp(-x^2) underflows to 0 beyond x ~ 27.2, where erfc is indeed below 1e-322.
    return x > 27.3 ? 0 : Math.exp(-x * x) * erfcxByContinuedFraction(x)
  }
  if (x <= -CONTINUED_FRACTION_FROM) return 2 - erfc(-x)
  return 1 - erfBySeries(x)
}

/** log(erfc(x)) without underflow for large positive x (it is about -x^2 - log(x sqrt(pi))). */
export function logErfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN
  if (x >= CONTINUED_FRACTION_FROM) {
    if (x === Infinity) return -Infinity
    // For huge x the continued fraction is just 1/(x sqrt(pi)); avoid overflow of x*x in f.
    if (x > 1e8) return -x * x - Math.log(x) - LOG_SQRT_PI
    return -x * x + Math.log(erfcxByContinuedFraction(x))
  }
  // Near 0, erfc is close to 1: log1p keeps the digits of the small erf.
  if (Math.abs(x) < 0.5) return Math.log1p(-erfBySeries(x))
  return Math.log(erfc(x))
}

/** Standard normal CDF Phi(x) = P(N(0,1) <= x), accurate in relative terms in the lower tail. */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / SQRT2)
}

/** Standard normal survival function 1 - Phi(x), accurate in relative terms in the upper tail. */
export function normalSf(x: number): number {
  return 0.5 * erfc(x / SQRT2)
}

/**
 * Phi(x) and 1 - Phi(x) together from one erfc evaluation: the smaller of the two is erfc(|x|/sqrt 2)/2
 * (accurate in relative terms), the larger is 1 minus it.
 */
export function normalCdfAndSf(x: number): { cdf: number; sf: number } {
  const small = 0.5 * erfc(Math.abs(x) / SQRT2)
  return x >= 0 ? { cdf: 1 - small, sf: small } : { cdf: small, sf: 1 - small }
}

/** log(Phi(x)) without underflow in the lower tail (SciPy's special.log_ndtr). */
export function logNormalCdf(x: number): number {
  // In the upper half Phi is close to 1: log1p of the small survival probability keeps its digits.
  if (x > 0) return Math.log1p(-normalSf(x))
  return Math.log(0.5) + logErfc(-x / SQRT2)
}

/** log(e^a + e^b), exact for -Infinity arguments. */
export function logAdd(logA: number, logB: number): number {
  const high = Math.max(logA, logB)
  const low = Math.min(logA, logB)
  if (low === -Infinity) return high
  return high + Math.log1p(Math.exp(low - high))
}

/**
 * log(e^a - e^b) for a >= b. Returns -Infinity when a == b. Throws a RangeError when the
 * difference would be negative: a series that reaches this point has lost its precision and
 * must not return a silently wrong bound.
 */
export function logSub(logA: number, logB: number): number {
  if (logB === -Infinity) return logA
  if (logA < logB) throw new RangeError(`logSub: log(e^${logA} - e^${logB}) is undefined`)
  if (logA === logB) return -Infinity
  // e^a - e^b = (e^{a-b} - 1) e^b; expm1 keeps the precision when a - b is small.
  const difference = logA - logB
  if (difference > 700) return logA
  return Math.log(Math.expm1(difference)) + logB
}
