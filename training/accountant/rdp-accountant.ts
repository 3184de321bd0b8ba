/**
 * An incremental RDP accountant for a training loop: per-step RDP is computed once per
 * (sampleRate, noiseMultiplier) pair and cached, so `step()` is an addition over ~300 orders
 * and `epsilon(delta)` a minimum over them (microseconds), cheap enough for a progress bar.
 */
import { PrivinferError } from '../../core/errors.ts'
import { DEFAULT_RDP_ORDERS, rdpOfSampledGaussian, rdpToEpsilon, type RdpEpsilon } from './rdp.ts'
import {
  checkDelta,
  checkNoiseMultiplier,
  checkOrders,
  checkSampleRate,
  checkSteps,
} from './validate.ts'

export interface Mechanism {
  /** Poisson sampling rate q in (0, 1]. */
  sampleRate: number
  /** Noise standard deviation divided by the clipping norm. */
  noiseMultiplier: number
}

/**
 * @example
 * const accountant = new RdpAccountant({ sampleRate: 256 / 60000, noiseMultiplier: 1.1 })
 * for (let step = 0; step < 14063; step++) { trainStep(); accountant.step() }
 * accountant.epsilon(1e-5) // { epsilon: 2.597, bestOrder: 8.1 }
 */
export class RdpAccountant {
  readonly orders: readonly number[]
  readonly mechanism: Readonly<Mechanism>
  #rdp: Float64Array
  #steps = 0
  #perStep = new Map<string, Float64Array>()

  /** @throws PrivinferError ACCOUNTANT_INVALID on invalid arguments. */
  constructor(mechanism: Mechanism & { orders?: readonly number[] }) {
    checkSampleRate(mechanism.sampleRate)
    checkNoiseMultiplier(mechanism.noiseMultiplier)
    const orders = mechanism.orders ?? DEFAULT_RDP_ORDERS
    checkOrders(orders)
    this.orders = Object.freeze([...orders])
    this.mechanism = Object.freeze({
      sampleRate: mechanism.sampleRate,
      noiseMultiplier: mechanism.noiseMultiplier,
    })
    this.#rdp = new Float64Array(orders.length)
  }

  /** Steps accounted so far. */
  get steps(): number {
    return this.#steps
  }

  /**
   * Accounts `count` more steps of the default mechanism, or of another one (a changed noise
   * multiplier or sampling rate mid-training composes too: RDP adds up order by order).
   * @throws PrivinferError ACCOUNTANT_INVALID on a negative or fractional count.
   */
  step(count = 1, mechanism: Mechanism = this.mechanism): void {
    checkSteps(count, { allowZero: true })
    const perStep = this.#perStepRdp(mechanism)
    for (let k = 0; k < perStep.length; k++) this.#rdp[k] += count * perStep[k]
    this.#steps += count
  }

  /** The RDP spent so far at each of `orders` (a copy). */
  rdp(): Float64Array {
    return this.#rdp.slice()
  }

  /**
   * (epsilon, delta) spent so far; epsilon is 0 before the first step.
   * @throws PrivinferError ACCOUNTANT_INVALID on invalid delta.
   */
  epsilon(delta: number): RdpEpsilon {
    checkDelta(delta)
    if (this.#steps === 0) return { epsilon: 0, bestOrder: Number.NaN }
    return rdpToEpsilon(this.orders, this.#rdp, delta)
  }

  #perStepRdp({ sampleRate, noiseMultiplier }: Mechanism): Float64Array {
    checkSampleRate(sampleRate)
    checkNoiseMultiplier(noiseMultiplier)
    const key = `${sampleRate}:${noiseMultiplier}`
    let perStep = this.#perStep.get(key)
    if (!perStep) {
      perStep = Float64Array.from(this.orders, (order) =>
        rdpOfSampledGaussian(sampleRate, noiseMultiplier, order),
      )
      if (perStep.some(Number.isNaN)) {
        throw new PrivinferError('ACCOUNTANT_INVALID', 'RDP is undefined for this mechanism', {
          sampleRate,
          noiseMultiplier,
        })
      }
      this.#perStep.set(key, perStep)
    }
    return perStep
  }
}
