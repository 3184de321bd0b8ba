/**
 * Noise calibration: the smallest noise multiplier sigma whose epsilon at (q, steps, delta) does
 * not exceed a target. epsilon decreases with sigma, so a bracket found by doubling/halving is
 * bisected (geometrically, as sigma spans decades) until high/low - 1 <= relativeTolerance. The
 * upper end is returned: its epsilon is at most the target, never just above it.
 */
import { PrivinferError } from '../../core/errors.ts'
import { checkAccountant, computeEpsilon, type AccountantName } from './compute-epsilon.ts'
import { checkDelta, checkEpsilon, checkSampleRate, checkSteps } from './validate.ts'

export interface CalibrateArguments {
  sampleRate: number
  steps: number
  delta: number
  /** Target epsilon. */
  epsilon: number
  /** Default 'rdp'. */
  accountant?: AccountantName
  /** Relative precision of sigma; default 1e-4. */
  relativeTolerance?: number
}

export interface Calibration {
  noiseMultiplier: number
  /** epsilon at the returned noise multiplier (<= target). */
  epsilon: number
  accountant: AccountantName
}

const MIN_SIGMA = 1e-3
const MAX_SIGMA = 1e4

/**
 * @example calibrateNoiseMultiplier({ sampleRate: 0.032, steps: 1000, delta: 1e-5, epsilon: 3 })
 *   // { noiseMultiplier: 1.717, epsilon: 2.9999, accountant: 'rdp' } (Opacus 1.5.4: 1.717)
 * @throws PrivinferError ACCOUNTANT_INVALID on invalid arguments or an unreachable target.
 */
export function calibrateNoiseMultiplier({
  sampleRate,
  steps,
  delta,
  epsilon: targetEpsilon,
  accountant = 'rdp',
  relativeTolerance = 1e-4,
}: CalibrateArguments): Calibration {
  checkSampleRate(sampleRate)
  checkSteps(steps)
  checkDelta(delta)
  checkEpsilon(targetEpsilon)
  checkAccountant(accountant)
  if (!(relativeTolerance > 0 && relativeTolerance < 1)) {
    throw new PrivinferError(
      'ACCOUNTANT_INVALID',
      `relativeTolerance must be in (0, 1), got ${relativeTolerance}`,
    )
  }
  const epsilonAt = (noiseMultiplier: number) =>
    computeEpsilon({ sampleRate, noiseMultiplier, steps, delta, accountant }).epsilon

  // PRV costs ~1 s per epsilon: start from the RDP answer (milliseconds), which is close and
  // usually an upper end (RDP overstates epsilon), and bracket by factors of 1.25.
  const start =
    accountant === 'prv'
      ? calibrateNoiseMultiplier({
          sampleRate,
          steps,
          delta,
          epsilon: targetEpsilon,
          accountant: 'rdp',
          relativeTolerance: 1e-3,
        }).noiseMultiplier
      : 1
  const factor = accountant === 'prv' ? 1.25 : 2
  let high = start
  let highEpsilon = epsilonAt(high)
  let low = high
  while (highEpsilon > targetEpsilon) {
    low = high
    high *= factor
    if (high > MAX_SIGMA) {
      throw new PrivinferError(
        'ACCOUNTANT_INVALID',
        `epsilon ${targetEpsilon} needs a noise multiplier above ${MAX_SIGMA}`,
        {
          argument: 'epsilon',
          got: targetEpsilon,
        },
      )
    }
    highEpsilon = epsilonAt(high)
  }
  if (low === high) {
    // The start already suffices: walk down until the target is exceeded.
    low = high / factor
    while (epsilonAt(low) <= targetEpsilon) {
      high = low
      low /= factor
      if (low < MIN_SIGMA) {
        return { noiseMultiplier: high, epsilon: epsilonAt(high), accountant }
      }
    }
    highEpsilon = epsilonAt(high)
  }
  // Invariant: epsilonAt(low) > target >= epsilonAt(high) = highEpsilon.
  while (high / low - 1 > relativeTolerance) {
    const middle = Math.sqrt(low * high)
    const middleEpsilon = epsilonAt(middle)
    if (middleEpsilon > targetEpsilon) low = middle
    else {
      high = middle
      highEpsilon = middleEpsilon
    }
  }
  return { noiseMultiplier: high, epsilon: highEpsilon, accountant }
}
