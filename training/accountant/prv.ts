/**
 * The PRV accountant: Gopi, Lee and Wutschitz 2021, "Numerical Composition of Differential
 * Privacy" (NeurIPS 2021, arXiv:2106.02848), for T steps of the Poisson-subsampled Gaussian.
 *
 * 1. Under add/remove adjacency a Poisson-subsampled Gaussian step has two privacy loss random
 *    variables (PRVs), with P = (1-q) N(0, sigma^2) + q N(1, sigma^2) and Q = N(0, sigma^2):
 *    - remove (the dataset with the example vs without): Y = log(P(X)/Q(X)), X ~ P.
 *      Y = log(1 - q + q e^{(2X-1)/(2 sigma^2)}) is increasing in X, so with
 *      z(t) = log((e^t - 1 + q)/q) and x(t) = sigma^2 z(t) + 1/2,
 *      F(t) = (1-q) Phi(x(t)/sigma) + q Phi((x(t)-1)/sigma) for t > log(1-q), else 0 (their Prop. B.4);
 *    - add (without vs with): Y' = log(Q(X)/P(X)) = -log(1 - q + q e^{(2X-1)/(2 sigma^2)}), X ~ Q,
 *      decreasing in X and below -log(1-q): F'(t) = 1 - Phi(x(-t)/sigma) for t < -log(1-q), else 1.
 *    The two are not mirror images for q < 1 (Zhu, Dong, Wang 2022, "Optimal accounting of
 *    differential privacy via characteristic function", AISTATS, arXiv:2106.08567, Section 5): a
 *    guarantee for the add/remove relation is the WORSE of the two T-fold compositions, which is
 *    what epsilonPrv returns (Opacus 1.5 composes the remove direction only). At q = 1 they coincide.
 * 2. Truncate Y to [-L, L] and discretize it on a mesh of width h: each cell's probability goes
 *    to its centre, and the whole grid is shifted so the discrete mean equals the continuous one
 *    (their Algorithm 1; mean preservation is what makes the error grow like sqrt(T), not T).
 * 3. The PRV of T steps is the T-fold sum: the T-th power of the discrete Fourier transform,
 *    computed by one forward FFT, a power in polar form, one inverse FFT (circular convolution;
 *    L is chosen so that wrap-around mass is within the delta error).
 * 4. delta(eps) = E[(1 - e^{eps - Y})_+]; epsilon(delta) is found exactly between grid points
 *    from the suffix sums of p and p e^{-t}.
 *
 * Error bounds (their Theorem 5.5 and Remark 5.6, as in Opacus 1.5 and microsoft/prv_accountant):
 * with L = max(eps_RDP(T steps, deltaError/4), eps_RDP(1 step, deltaError/(8T)), epsError) + 3 and
 * h <= epsError / sqrt(T log(12/deltaError) / 2), the true epsilon(delta) lies in
 * [estimate(delta + deltaError) - epsError, estimate(delta - deltaError) + epsError]. We report the
 * upper end as `epsilon` (a guarantee, like Opacus' PRVAccountant.get_epsilon), the lower end as
 * `epsilonLower` and the point estimate as `epsilonEstimate`.
 *
 * Cost: the grid has N = nextPowerOfTwo(2L/h) points. For q = 256/60000, sigma = 1.1, T = 14063
 * and the defaults (epsError 0.01, deltaError delta/1000) that is 2^20 points and about a second
 * on one core; a smaller epsError makes the mesh finer in proportion (epsError 0.001: ~10x the
 * points). The mesh we use is at most 2x finer than required (rounding N up to a power of two
 * for the radix-2 FFT), which only tightens the true error; the reported margin stays epsError.
 */
import { PrivinferError } from '../../core/errors.ts'
import { epsilonRdp } from './rdp.ts'
import { fftInPlace, nextPowerOfTwo } from '../../core/math/fft.ts'
import { normalCdfAndSf } from './special-functions.ts'
import { checkDelta, checkNoiseMultiplier, checkSampleRate, checkSteps } from './validate.ts'

export interface EpsilonPrvArguments {
  /** Poisson sampling rate q in (0, 1]. */
  sampleRate: number
  /** Noise standard deviation divided by the clipping norm. */
  noiseMultiplier: number
  /** Number of steps (compositions). */
  steps: number
  /** delta in (0, 1). */
  delta: number
  /** Numerical error allowed in epsilon (default 0.01, as Opacus). */
  epsilonError?: number
  /** Numerical error allowed in delta (default delta / 1000, as Opacus). */
  deltaError?: number
}

export interface PrvEpsilon {
  /**
   * Upper bound: estimate at (delta - deltaError) plus epsilonError, for the worse of the add and
   * remove directions. The guarantee to report.
   */
  epsilon: number
  /** Lower bound: estimate at (delta + deltaError) minus epsilonError. */
  epsilonLower: number
  /** The point estimate at delta. */
  epsilonEstimate: number
  /** The discretization used (for reports and the accuracy/speed trade-off). */
  grid: { size: number; mesh: number; halfWidth: number }
  /** Which direction gave `epsilon`, and each direction's bounds. */
  worseDirection: PrvDirection
  byDirection: Record<
    PrvDirection,
    { epsilon: number; epsilonLower: number; epsilonEstimate: number }
  >
}

/** Largest grid (2^23 points: 64 MB per Float64Array pair); finer meshes are refused. */
const MAX_GRID_SIZE = 2 ** 23

/** The adjacency direction of a PRV (see the file comment). */
export type PrvDirection = 'remove' | 'add'

/** z(s) = log((e^s - (1 - q)) / q) for s > log(1 - q), written to keep its digits near 0 and for large s. */
function logOddsShift(q: number, s: number): number {
  if (q === 1) return s
  return s > 0
    ? s + Math.log1p(-(1 - q) * Math.exp(-s)) - Math.log(q)
    : Math.log(q + Math.expm1(s)) - Math.log(q)
}

/**
 * CDF F(t) and survival S(t) = 1 - F(t) of the PRV of one Poisson-subsampled Gaussian step in the
 * given direction (default 'remove'), each accurate in its own tail (the delta computation lives in
 * the upper tail of S).
 */
export function subsampledGaussianPrvCdf(
  sampleRate: number,
  noiseMultiplier: number,
  t: number,
  direction: PrvDirection = 'remove',
): { cdf: number; sf: number } {
  const q = sampleRate
  const sigma = noiseMultiplier
  if (direction === 'add') {
    if (q < 1 && t >= -Math.log1p(-q)) return { cdf: 1, sf: 0 }
    // Y' <= t  <=>  X >= x(-t), X ~ N(0, sigma^2).
    const x = sigma * sigma * logOddsShift(q, -t) + 0.5
    const tail = normalCdfAndSf(x / sigma)
    return { cdf: tail.sf, sf: tail.cdf }
  }
  if (q < 1 && t <= Math.log1p(-q)) return { cdf: 0, sf: 1 }
  const x = sigma * sigma * logOddsShift(q, t) + 0.5
  const upper = x / sigma // standardized under the N(0, sigma^2) component
  const lower = (x - 1) / sigma // under the N(1, sigma^2) component
  const nullComponent = q === 1 ? { cdf: 0, sf: 0 } : normalCdfAndSf(upper)
  const shiftedComponent = normalCdfAndSf(lower)
  return {
    cdf: (1 - q) * nullComponent.cdf + q * shiftedComponent.cdf,
    sf: (1 - q) * nullComponent.sf + q * shiftedComponent.sf,
  }
}

interface DiscretePrv {
  /** Probabilities on the grid t_i = (i - center) * mesh + shift. */
  pmf: Float64Array
  center: number
  mesh: number
  shift: number
}

/**
 * Discretizes the PRV truncated to [tMin, tMax] on N cells of width `mesh` centred at
 * t_i = (i - center) * mesh, and returns the mean-preserving shift (Gopi et al., Algorithm 1).
 */
function discretize(
  sampleRate: number,
  noiseMultiplier: number,
  size: number,
  center: number,
  mesh: number,
  direction: PrvDirection,
): DiscretePrv {
  const tMin = -center * mesh
  const tMax = (size - 1 - center) * mesh
  // CDF and survival at the 2N + 1 half-mesh points: cell edges (even k) and centres (odd k).
  const points = 2 * size + 1
  const cdf = new Float64Array(points)
  const sf = new Float64Array(points)
  for (let k = 0; k < points; k++) {
    const t = Math.min(tMax, Math.max(tMin, tMin - mesh / 2 + (k * mesh) / 2))
    const value = subsampledGaussianPrvCdf(sampleRate, noiseMultiplier, t, direction)
    cdf[k] = value.cdf
    sf[k] = value.sf
  }
  // Mass between half-mesh points k and k+1, from whichever of F and S is small there (no
  // cancellation in either tail).
  const between = (k: number) => (cdf[k + 1] < 0.5 ? cdf[k + 1] - cdf[k] : sf[k] - sf[k + 1])
  const pmf = new Float64Array(size)
  let total = 0
  let correction = 0
  for (let i = 0; i < size; i++) {
    const leftHalf = between(2 * i)
    const rightHalf = between(2 * i + 1)
    pmf[i] = leftHalf + rightHalf
    total += pmf[i]
    // Simpson's rule on the cell: integral of (t - t_i) dF over the cell = (mesh/3)(right - left).
    correction += (mesh / 3) * (rightHalf - leftHalf)
  }
  // Renormalize: the truncated PRV is conditioned on [tMin, tMax] (the lost mass is within deltaError).
  for (let i = 0; i < size; i++) pmf[i] /= total
  const shift = correction / total
  if (!(Math.abs(shift) < mesh / 2)) {
    throw new PrivinferError(
      'INTERNAL',
      'PRV discretization: the discrete mean is off by more than half a mesh',
      { shift, mesh },
    )
  }
  return { pmf, center, mesh, shift }
}

/**
 * The T-fold self-composition by FFT. Index arithmetic: a sum of T grid values is
 * (K - T*center)*mesh + T*shift with K the sum of indices, and the circular convolution yields K
 * mod N; output index j = K - (T-1)*center (mod N) keeps the same grid centred at `center`.
 */
function selfCompose(prv: DiscretePrv, steps: number): DiscretePrv {
  const size = prv.pmf.length
  const real = Float64Array.from(prv.pmf)
  const imag = new Float64Array(size)
  fftInPlace(real, imag)
  for (let k = 0; k < size; k++) {
    // Polar form: |z|^T and T*arg(z) lose nothing to repeated multiplication.
    const magnitude = Math.hypot(real[k], imag[k])
    if (magnitude === 0) continue
    const power = Math.pow(magnitude, steps)
    const angle = steps * Math.atan2(imag[k], real[k])
    real[k] = power * Math.cos(angle)
    imag[k] = power * Math.sin(angle)
  }
  fftInPlace(real, imag, true)
  const offset = Number((BigInt(steps - 1) * BigInt(prv.center)) % BigInt(size))
  const pmf = new Float64Array(size)
  for (let j = 0; j < size; j++) pmf[j] = real[(j + offset) % size]
  return { pmf, center: prv.center, mesh: prv.mesh, shift: steps * prv.shift }
}

/**
 * epsilon(delta) from a discrete PRV for each target delta: for eps in (t_{i-1}, t_i],
 * delta(eps) = D1_i - e^eps D2_i with D1_i = sum_{j>=i} p_j and D2_i = sum_{j>=i} p_j e^{-t_j},
 * so eps = log((D1_i - delta) / D2_i) at the first i (from the top) where delta(t_{i-1}) > delta.
 */
function epsilonsFromPrv(prv: DiscretePrv, deltas: number[]): number[] {
  const { pmf, center, mesh, shift } = prv
  const size = pmf.length
  const tailMass = new Float64Array(size + 1)
  const tailWeighted = new Float64Array(size + 1)
  for (let i = size - 1; i >= 0; i--) {
    const t = (i - center) * mesh + shift
    tailMass[i] = tailMass[i + 1] + pmf[i]
    tailWeighted[i] = tailWeighted[i + 1] + pmf[i] * Math.exp(-t)
  }
  const deltaAt = (i: number) =>
    tailMass[i] - Math.exp((i - center) * mesh + shift) * tailWeighted[i]
  return deltas.map((target) => {
    let i = size - 1
    // Walk down while the grid point below still satisfies delta(t) <= target. A linear scan from
    // the top, not a bisection: FFT round-off makes delta(t) non-monotone where it is ~1e-16.
    while (i > 0 && deltaAt(i - 1) <= target) i--
    if (i === 0) {
      throw new PrivinferError(
        'INTERNAL',
        'PRV accountant: epsilon lies below the discretization domain',
        { delta: target },
      )
    }
    return Math.log((tailMass[i] - target) / tailWeighted[i])
  })
}

/**
 * (epsilon, delta) of `steps` Poisson-subsampled Gaussian steps by the PRV accountant.
 * @example epsilonPrv({ sampleRate: 256 / 60000, noiseMultiplier: 1.1, steps: 14063, delta: 1e-5 })
 *   // { epsilon: 2.39 (upper bound), epsilonEstimate: 2.38, epsilonLower: 2.37, ... } (Opacus 1.5.4: 2.39)
 * @throws PrivinferError ACCOUNTANT_INVALID on invalid arguments or a grid that would be too large.
 */
export function epsilonPrv({
  sampleRate,
  noiseMultiplier,
  steps,
  delta,
  epsilonError = 0.01,
  deltaError = delta / 1000,
}: EpsilonPrvArguments): PrvEpsilon {
  checkSampleRate(sampleRate)
  checkNoiseMultiplier(noiseMultiplier)
  checkSteps(steps)
  checkDelta(delta)
  if (!(epsilonError > 0 && epsilonError < 1)) {
    throw new PrivinferError(
      'ACCOUNTANT_INVALID',
      `epsilonError must be in (0, 1), got ${epsilonError}`,
      { argument: 'epsilonError' },
    )
  }
  if (!(deltaError > 0 && deltaError < delta)) {
    throw new PrivinferError(
      'ACCOUNTANT_INVALID',
      `deltaError must be in (0, delta), got ${deltaError}`,
      { argument: 'deltaError' },
    )
  }
  // Domain half-width (Remark 5.6): the RDP bounds make the mass beyond L negligible both for the
  // composed PRV and for every single step.
  const rdpComposed = epsilonRdp({
    sampleRate,
    noiseMultiplier,
    steps,
    delta: deltaError / 4,
  }).epsilon
  const rdpSingle = epsilonRdp({
    sampleRate,
    noiseMultiplier,
    steps: 1,
    delta: deltaError / (8 * steps),
  }).epsilon
  const halfWidth = Math.max(rdpComposed, rdpSingle, epsilonError) + 3
  const requiredMesh = epsilonError / Math.sqrt((steps * Math.log(12 / deltaError)) / 2)
  // Grid t_i = (i - center) * mesh, i < size, spans [-halfWidth, halfWidth + mesh].
  const size = nextPowerOfTwo(Math.ceil((2 * halfWidth) / requiredMesh) + 2)
  if (size > MAX_GRID_SIZE) {
    throw new PrivinferError(
      'ACCOUNTANT_INVALID',
      `the PRV accountant would need ${size} grid points for ${steps} steps at epsilonError ${epsilonError}; raise epsilonError or use the RDP accountant`,
      { argument: 'epsilonError', gridSize: size },
    )
  }
  // Floating-point round-off of the FFT is about 1e-16 per point: it must stay below delta.
  if (Number.EPSILON * size > delta - deltaError) {
    throw new PrivinferError(
      'ACCOUNTANT_INVALID',
      `delta ${delta} is too small for a grid of ${size} points`,
      { argument: 'delta' },
    )
  }
  const center = size / 2 - 1
  const mesh = halfWidth / center
  const byDirection = {} as PrvEpsilon['byDirection']
  for (const direction of ['remove', 'add'] as const) {
    const single = discretize(sampleRate, noiseMultiplier, size, center, mesh, direction)
    const composed = steps === 1 ? single : selfCompose(single, steps)
    const [upper, estimate, lower] = epsilonsFromPrv(composed, [
      delta - deltaError,
      delta,
      delta + deltaError,
    ])
    byDirection[direction] = {
      epsilon: upper + epsilonError,
      epsilonEstimate: estimate,
      epsilonLower: lower - epsilonError,
    }
  }
  const worseDirection = byDirection.add.epsilon > byDirection.remove.epsilon ? 'add' : 'remove'
  return {
    ...byDirection[worseDirection],
    grid: { size, mesh, halfWidth },
    worseDirection,
    byDirection,
  }
}
