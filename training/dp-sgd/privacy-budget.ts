/**
 * The trainer's view of the privacy accountant (training/accountant/): calibrate sigma for a target
 * (epsilon, delta) with RDP (the guarantee we state), report the PRV epsilon beside it, and track the
 * epsilon spent after t steps for the progress bar.
 */
import { calibrateNoiseMultiplier, epsilonPrv, epsilonRdp } from '../accountant/index.ts'
import { computeRdp, DEFAULT_RDP_ORDERS, rdpToEpsilon } from '../accountant/rdp.ts'

export interface PrivacyPlan {
  noiseMultiplier: number
  sampleRate: number
  steps: number
  delta: number
  /** RDP epsilon of the full run (the stated guarantee) and its best order. */
  epsilonRdp: number
  bestOrder: number
  /** PRV epsilon of the same run (tighter estimate, reported beside). */
  epsilonPrv: number
}

/** Smallest sigma with RDP epsilon <= target after `steps` steps at rate `sampleRate`. */
export function planPrivacy(args: {
  sampleRate: number
  steps: number
  delta: number
  epsilon: number
}): PrivacyPlan {
  const { noiseMultiplier } = calibrateNoiseMultiplier({ ...args, accountant: 'rdp' })
  return describePrivacy({
    sampleRate: args.sampleRate,
    steps: args.steps,
    delta: args.delta,
    noiseMultiplier,
  })
}

/** Epsilons (RDP and PRV) of a given (q, sigma, steps, delta). */
export function describePrivacy(args: {
  sampleRate: number
  steps: number
  delta: number
  noiseMultiplier: number
}): PrivacyPlan {
  const rdp = epsilonRdp(args)
  return {
    ...args,
    epsilonRdp: rdp.epsilon,
    bestOrder: rdp.bestOrder,
    epsilonPrv: prvEpsilonOrNaN(args),
  }
}

/** RDP epsilon after t steps, cheap per call (per-step RDP computed once). */
export function createEpsilonTracker(
  sampleRate: number,
  noiseMultiplier: number,
  delta: number,
): (steps: number) => number {
  const perStep = computeRdp({ sampleRate, noiseMultiplier, steps: 1 })
  const scaled = new Float64Array(perStep.length)
  return (steps) => {
    if (steps === 0) return 0
    for (let k = 0; k < perStep.length; k++) scaled[k] = perStep[k] * steps
    return rdpToEpsilon(DEFAULT_RDP_ORDERS, scaled, delta).epsilon
  }
}

/** PRV epsilon, or NaN when the PRV accountant cannot answer (reported as such, never as a guarantee). */
function prvEpsilonOrNaN(args: {
  sampleRate: number
  steps: number
  delta: number
  noiseMultiplier: number
}): number {
  try {
    return epsilonPrv(args).epsilon
  } catch {
    return Number.NaN
  }
}
