/**
 * Argument checks shared by the accountants. Every public entry point validates first, so a
 * wrong call fails with ACCOUNTANT_INVALID naming the argument instead of returning NaN or a
 * meaningless epsilon.
 */
import { PrivinferError } from '../../core/errors.ts'

function invalid(name: string, value: unknown, expected: string): PrivinferError {
  return new PrivinferError(
    'ACCOUNTANT_INVALID',
    `${name} must be ${expected}, got ${String(value)}`,
    { argument: name, got: typeof value === 'number' ? value : String(value), expected },
  )
}

/** Sampling rate q of Poisson subsampling: 0 < q <= 1. */
export function checkSampleRate(sampleRate: number): void {
  if (typeof sampleRate !== 'number' || !(sampleRate > 0 && sampleRate <= 1)) {
    throw invalid('sampleRate', sampleRate, 'a number in (0, 1]')
  }
}

/** Noise multiplier sigma (noise standard deviation over the L2 sensitivity): finite, > 0. */
export function checkNoiseMultiplier(noiseMultiplier: number): void {
  if (
    typeof noiseMultiplier !== 'number' ||
    !(noiseMultiplier > 0 && Number.isFinite(noiseMultiplier))
  ) {
    throw invalid('noiseMultiplier', noiseMultiplier, 'a finite number > 0')
  }
}

/** Number of steps (compositions): a positive integer. */
export function checkSteps(steps: number, { allowZero = false } = {}): void {
  if (!Number.isSafeInteger(steps) || steps < (allowZero ? 0 : 1)) {
    throw invalid('steps', steps, allowZero ? 'an integer >= 0' : 'an integer >= 1')
  }
}

/** delta of (epsilon, delta)-DP: 0 < delta < 1. */
export function checkDelta(delta: number): void {
  if (typeof delta !== 'number' || !(delta > 0 && delta < 1)) {
    throw invalid('delta', delta, 'a number in (0, 1)')
  }
}

/** Target epsilon: finite, > 0. */
export function checkEpsilon(epsilon: number): void {
  if (typeof epsilon !== 'number' || !(epsilon > 0 && Number.isFinite(epsilon))) {
    throw invalid('epsilon', epsilon, 'a finite number > 0')
  }
}

/** RDP orders: a non-empty list of finite numbers > 1. */
export function checkOrders(orders: readonly number[]): void {
  if (!Array.isArray(orders) || orders.length === 0) {
    throw invalid('orders', orders, 'a non-empty array of numbers > 1')
  }
  for (const order of orders) {
    if (typeof order !== 'number' || !(order > 1 && Number.isFinite(order))) {
      throw invalid('orders', order, 'finite numbers > 1')
    }
  }
}
