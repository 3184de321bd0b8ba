/** Small statistics the benches share. */

/** The q-quantile of ascending `sorted` (0 when empty), rounded to an integer. */
export function quantile(sorted: number[], q: number): number {
  return sorted.length === 0
    ? 0
    : round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))])
}

/** value rounded to `digits` decimals. */
export function round(value: number, digits = 0): number {
  const factor = 10 ** digits
  return Math.round(value * factor) / factor
}

/** The least-squares slope of ys against xs (0 with fewer than 2 points). */
export function leastSquaresSlope(xs: number[], ys: number[]): number {
  const n = xs.length
  if (n < 2) return 0
  const meanX = xs.reduce((a, b) => a + b, 0) / n
  const meanY = ys.reduce((a, b) => a + b, 0) / n
  let num = 0
  let den = 0
  for (let i = 0; i < n; i++) {
    num += (xs[i] - meanX) * (ys[i] - meanY)
    den += (xs[i] - meanX) ** 2
  }
  return num / den
}
