/** PRV accountant (Gopi, Lee, Wutschitz 2021): in progress. */
import { PrivinferError } from '../../core/errors.ts'

export interface EpsilonPrvArguments {
  sampleRate: number
  noiseMultiplier: number
  steps: number
  delta: number
}

export interface PrvEpsilon {
  epsilon: number
  epsilonLower?: number
  epsilonEstimate?: number
}

export function epsilonPrv(_args: EpsilonPrvArguments): PrvEpsilon {
  throw new PrivinferError('INTERNAL', 'the PRV accountant is not implemented yet')
}
