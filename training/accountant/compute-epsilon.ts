/**
 * One entry point over both accountants, so callers (the trainer, the CLI, calibration) choose by
 * name: 'rdp' (fast, a few ms, a valid upper bound that is loose by ~5-10%) or 'prv' (tight,
 * ~1 s, an upper bound at a stated numerical error).
 */
import { PrivinferError } from '../../core/errors.ts'
import { epsilonPrv, type PrvEpsilon } from './prv.ts'
import { epsilonRdp } from './rdp.ts'
import { checkDelta, checkNoiseMultiplier, checkSampleRate, checkSteps } from './validate.ts'

export const ACCOUNTANTS = ['rdp', 'prv'] as const
export type AccountantName = (typeof ACCOUNTANTS)[number]

export function isAccountantName(value: unknown): value is AccountantName {
  return (ACCOUNTANTS as readonly unknown[]).includes(value)
}

export function checkAccountant(accountant: unknown): asserts accountant is AccountantName {
  if (!isAccountantName(accountant)) {
    throw new PrivinferError(
      'ACCOUNTANT_INVALID',
      `accountant must be one of ${ACCOUNTANTS.join(', ')}, got ${String(accountant)}`,
      {
        argument: 'accountant',
        got: String(accountant),
        expected: ACCOUNTANTS,
      },
    )
  }
}

export interface ComputeEpsilonArguments {
  sampleRate: number
  noiseMultiplier: number
  steps: number
  delta: number
  /** Default 'rdp'. */
  accountant?: AccountantName
}

export interface EpsilonResult {
  /** An upper bound on epsilon at the given delta. */
  epsilon: number
  accountant: AccountantName
  /** RDP only: the order that gives the bound. */
  bestOrder?: number
  /** PRV only: lower bound of the true epsilon given the numerical error. */
  epsilonLower?: number
  /** PRV only: the point estimate without the error margins. */
  epsilonEstimate?: number
  /** PRV only: grid size, mesh and half-width of the discretization. */
  grid?: { size: number; mesh: number; halfWidth: number }
  /** PRV only: the adjacency direction (add or remove) whose epsilon is reported, and both. */
  worseDirection?: PrvEpsilon['worseDirection']
  byDirection?: PrvEpsilon['byDirection']
}

/**
 * epsilon for `steps` steps of the Poisson-subsampled Gaussian mechanism at `delta`.
 * @throws PrivinferError ACCOUNTANT_INVALID on invalid arguments.
 */
export function computeEpsilon({
  accountant = 'rdp',
  ...args
}: ComputeEpsilonArguments): EpsilonResult {
  checkAccountant(accountant)
  checkSampleRate(args.sampleRate)
  checkNoiseMultiplier(args.noiseMultiplier)
  checkSteps(args.steps)
  checkDelta(args.delta)
  if (accountant === 'rdp') {
    const { epsilon, bestOrder } = epsilonRdp(args)
    return { epsilon, accountant, bestOrder }
  }
  return { ...epsilonPrv(args), accountant }
}
