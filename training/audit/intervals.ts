/**
 * Confidence intervals for the audit's figures, so a reader can tell "at chance" from "4 standard
 * errors above chance":
 * - AUC: Hanley and McNeil 1982 ("The meaning and use of the area under a ROC curve", Radiology
 *   143:29-36) standard error, normal interval clipped to [0, 1];
 * - a proportion (TPR at a fixed FPR threshold, a guess accuracy): exact Clopper-Pearson interval.
 *   For TPR at FPR the threshold itself is estimated from the non-members, which the interval does
 *   not cover (stated wherever it is reported).
 */

/** Standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ]
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972,
    -13.28068155288572,
  ]
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734,
    4.374664141464968, 2.938163982698783,
  ]
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416]
  const low = 0.02425
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p))
    return (
      (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    )
  }
  if (p > 1 - low) return -normalQuantile(1 - p)
  const q = p - 0.5
  const r = q * q
  return (
    ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  )
}

export interface Interval {
  low: number
  high: number
  confidence: number
}

/** Hanley-McNeil interval of an AUC from `positives` member and `negatives` non-member scores. */
export function aucInterval(
  auc: number,
  positives: number,
  negatives: number,
  confidence = 0.95,
): Interval {
  const q1 = auc / (2 - auc)
  const q2 = (2 * auc * auc) / (1 + auc)
  const variance =
    (auc * (1 - auc) + (positives - 1) * (q1 - auc * auc) + (negatives - 1) * (q2 - auc * auc)) /
    (positives * negatives)
  const z = normalQuantile(1 - (1 - confidence) / 2)
  const spread = z * Math.sqrt(Math.max(variance, 0))
  return { low: Math.max(0, auc - spread), high: Math.min(1, auc + spread), confidence }
}

/** P[Binomial(n, p) <= k], summing the pmf in log space. */
function binomialCdf(n: number, k: number, p: number): number {
  if (k < 0) return 0
  if (k >= n) return 1
  if (p <= 0) return 1
  if (p >= 1) return 0
  let logChoose = 0
  let total = 0
  for (let i = 0; i <= k; i++) {
    if (i > 0) logChoose += Math.log((n - i + 1) / i)
    total += Math.exp(logChoose + i * Math.log(p) + (n - i) * Math.log1p(-p))
  }
  return Math.min(1, total)
}

/** The p in (0, 1) where the decreasing function f(p) crosses target (bisection). */
function solveDecreasing(f: (p: number) => number, target: number): number {
  let low = 0
  let high = 1
  for (let iteration = 0; iteration < 60; iteration++) {
    const middle = (low + high) / 2
    if (f(middle) > target) low = middle
    else high = middle
  }
  return (low + high) / 2
}

/** Exact (Clopper-Pearson) interval for `successes` out of `trials`. */
export function clopperPearson(successes: number, trials: number, confidence = 0.95): Interval {
  const tail = (1 - confidence) / 2
  // Lower end L: P[Bin(n, L) >= x] = tail, i.e. P[Bin(n, 1 - L) <= n - x] = tail (decreasing in 1 - L).
  const low =
    successes === 0
      ? 0
      : 1 - solveDecreasing((u) => binomialCdf(trials, trials - successes, u), tail)
  // Upper end U: P[Bin(n, U) <= x] = tail (decreasing in U).
  const high =
    successes === trials ? 1 : solveDecreasing((p) => binomialCdf(trials, successes, p), tail)
  return { low, high, confidence }
}
