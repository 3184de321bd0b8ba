/**
 * Chebyshev series on [-1, 1]: evaluation (Clenshaw), conversion from the power basis, and the
 * weighted least-squares fit the compiler uses in place of a non-polynomial activation.
 *
 * The fit minimizes Σ_i (p(t_i) − f(t_i))² over the calibration samples t_i of one feature plus
 * λ · (samples / nodes) · Σ_n (p(τ_n) − f(τ_n))² over Chebyshev nodes τ_n of the whole interval:
 * the samples put the accuracy where the data is, the nodes (near-minimax on their own, Trefethen,
 * "Approximation Theory and Approximation Practice", ch. 4 and 16) keep p close to f on the whole
 * calibrated interval, margin included, so values a little outside the calibration data stay
 * bounded instead of following a wild polynomial.
 */

/** Σ_k c_k T_k(t) by Clenshaw's recurrence. */
export function evaluateChebyshev(coefficients: ArrayLike<number>, t: number): number {
  let b1 = 0
  let b2 = 0
  for (let k = coefficients.length - 1; k >= 1; k--) {
    const b0 = 2 * t * b1 - b2 + coefficients[k]
    b2 = b1
    b1 = b0
  }
  return t * b1 - b2 + (coefficients[0] ?? 0)
}

/** The n Chebyshev nodes of the first kind, cos(π (i + 1/2) / n). */
export function chebyshevNodes(n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => Math.cos((Math.PI * (i + 0.5)) / n))
}

/** T_0(t) .. T_degree(t). */
function chebyshevRow(t: number, degree: number): Float64Array {
  const row = new Float64Array(degree + 1)
  row[0] = 1
  if (degree >= 1) row[1] = t
  for (let k = 2; k <= degree; k++) row[k] = 2 * t * row[k - 1] - row[k - 2]
  return row
}

/** Chebyshev coefficients of Σ_k a_k t^k (Horner in the Chebyshev algebra: t·T_k = (T_{k+1} + T_{|k−1|})/2). */
export function powerToChebyshev(power: readonly number[]): number[] {
  let result = [power[power.length - 1] ?? 0]
  for (let k = power.length - 2; k >= 0; k--) {
    const next = new Array<number>(result.length + 1).fill(0)
    result.forEach((c, i) => {
      next[i + 1] += c / 2
      next[Math.abs(i - 1)] += c / 2
    })
    next[0] += power[k]
    result = next
  }
  return result
}

/** Power-basis coefficients of p(center + halfWidth · t) for p in the power basis. */
export function substituteAffine(
  power: readonly number[],
  center: number,
  halfWidth: number,
): number[] {
  // Horner: q = (...(a_d · u + a_{d−1}) · u + ...) with u = center + halfWidth · t.
  let result = [power[power.length - 1] ?? 0]
  for (let k = power.length - 2; k >= 0; k--) {
    const next = new Array<number>(result.length + 1).fill(0)
    result.forEach((c, i) => {
      next[i] += c * center
      next[i + 1] += c * halfWidth
    })
    next[0] += power[k]
    result = next
  }
  return result
}

export interface FitProblem {
  /** Calibration samples of the feature, normalized to the interval's [-1, 1]. */
  samples: ArrayLike<number>
  /** f at the samples. */
  values: ArrayLike<number>
  /** f at t, for the nodes. */
  f: (t: number) => number
  degree: number
  /** Weight of the interval's nodes relative to the samples (λ). */
  nodeWeight: number
}

/** The weighted least-squares Chebyshev coefficients c_0 .. c_degree (module comment). */
export function fitChebyshev(problem: FitProblem): Float64Array {
  const { samples, values, f, degree, nodeWeight } = problem
  const size = degree + 1
  const normal = new Float64Array(size * size)
  const rhs = new Float64Array(size)
  const accumulate = (t: number, y: number, weight: number) => {
    const row = chebyshevRow(t, degree)
    for (let i = 0; i < size; i++) {
      rhs[i] += weight * row[i] * y
      for (let j = 0; j <= i; j++) normal[i * size + j] += weight * row[i] * row[j]
    }
  }
  for (let i = 0; i < samples.length; i++) accumulate(samples[i], values[i], 1)
  const nodes = chebyshevNodes(4 * size + 8)
  const weight = (nodeWeight * Math.max(samples.length, 1)) / nodes.length
  for (const tau of nodes) accumulate(tau, f(tau), weight)
  return solveSymmetric(normal, rhs, size)
}

/** Solves A x = b for a symmetric positive definite A (lower triangle given) by Cholesky. */
function solveSymmetric(lower: Float64Array, rhs: Float64Array, size: number): Float64Array {
  const l = new Float64Array(size * size)
  for (let i = 0; i < size; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = lower[i * size + j]
      for (let k = 0; k < j; k++) sum -= l[i * size + k] * l[j * size + k]
      if (i === j) l[i * size + i] = Math.sqrt(Math.max(sum, 1e-300))
      else l[i * size + j] = sum / l[j * size + j]
    }
  }
  const y = new Float64Array(size)
  for (let i = 0; i < size; i++) {
    let sum = rhs[i]
    for (let k = 0; k < i; k++) sum -= l[i * size + k] * y[k]
    y[i] = sum / l[i * size + i]
  }
  const x = new Float64Array(size)
  for (let i = size - 1; i >= 0; i--) {
    let sum = y[i]
    for (let k = i + 1; k < size; k++) sum -= l[k * size + i] * x[k]
    x[i] = sum / l[i * size + i]
  }
  return x
}
