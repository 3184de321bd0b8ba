/**
 * A float64 HeBackend: slot values plus the level and exact scale SEAL would carry, with SEAL's
 * checks (adds need equal levels and scales; a rescale needs a level left; |value|·scale must stay
 * below half the modulus of the level). The plan and its scale schedule are tested with it, without
 * SEAL. Plaintext products use the schedule's encode scale, so a wrong schedule fails here.
 */
import { PrivinferError } from '../../../core/errors.ts'
import { rotate } from '../../../core/layout/rotate.ts'
import type { HePlan } from '../../compiler/plan/plan.ts'
import type { HeParameters } from '../../compiler/he-parameters.ts'
import { scheduleScales, type ScaleSchedule } from '../../compiler/scale-schedule.ts'
import type { HeBackend } from '../../compiler/plan/backend.ts'

export interface PlainCiphertext {
  slots: Float64Array
  level: number
  scale: number
}

export interface Float64Backend extends HeBackend<PlainCiphertext> {
  readonly schedule: ScaleSchedule
  /** A "fresh ciphertext" of packed slots at the plan's input level and 2^scaleBits. */
  encrypt(slots: Float64Array): PlainCiphertext
  /** Live (not freed) values, for leak checks of the executor itself. */
  readonly live: number
}

/** log2 of the product of the primes q0..q(level). */
function modulusBits(primes: readonly number[], level: number): number {
  let bits = 0
  for (let k = 0; k <= level; k++) bits += Math.log2(primes[k])
  return bits
}

/**
 * @param primes data primes as doubles (e.g. from a SEAL context, or nominal 2^bits for pure tests).
 */
export function createFloat64Backend(
  plan: HePlan,
  parameters: HeParameters,
  primes: readonly number[],
): Float64Backend {
  const schedule = scheduleScales(plan, parameters, primes)
  let live = 0
  /** SEAL's decryption fails silently when |value| · scale reaches half the modulus. */
  const checkRange = ({ slots, level, scale }: PlainCiphertext) => {
    const maxAbs = slots.reduce((max, v) => Math.max(max, Math.abs(v)), 0)
    if (maxAbs > 0 && Math.log2(maxAbs) + Math.log2(scale) + 1 >= modulusBits(primes, level)) {
      throw new PrivinferError(
        'PLAN_INVALID',
        `value ${maxAbs.toPrecision(3)} at scale 2^${Math.log2(scale).toFixed(1)} overflows level ${level}`,
      )
    }
  }
  const make = (slots: Float64Array, level: number, scale: number): PlainCiphertext => {
    const value = { slots, level, scale }
    checkRange(value)
    live++
    return value
  }
  const checkSame = (a: PlainCiphertext, b: { level: number; scale: number }, what: string) => {
    if (a.level !== b.level)
      throw new PrivinferError('PLAN_INVALID', `${what}: levels ${a.level} and ${b.level} differ`)
    if (Math.abs(a.scale / b.scale - 1) > 1e-9) {
      throw new PrivinferError(
        'PLAN_INVALID',
        `${what}: scales 2^${Math.log2(a.scale)} and 2^${Math.log2(b.scale)} differ`,
      )
    }
  }
  const spec = (id: number) => {
    const encode = schedule.plaintexts[id]
    if (encode === undefined)
      throw new PrivinferError('PLAN_INVALID', `plaintext ${id} is never scheduled`)
    return encode
  }
  return {
    schedule,
    get live() {
      return live
    },
    encrypt(slots) {
      return make(Float64Array.from(slots), plan.depth, 2 ** parameters.scaleBits)
    },
    rotate(x, steps) {
      return make(rotate(x.slots, steps), x.level, x.scale)
    },
    multiplyPlain(x, id) {
      const encode = spec(id)
      if (encode.level !== x.level)
        throw new PrivinferError(
          'PLAN_INVALID',
          `plaintext ${id} encoded at level ${encode.level}, used at ${x.level}`,
        )
      const values = plan.plaintexts[id]
      return make(
        x.slots.map((v, s) => v * values[s]),
        x.level,
        x.scale * encode.scale,
      )
    },
    addInPlace(accumulator, x) {
      checkSame(accumulator, x, 'add')
      for (let s = 0; s < accumulator.slots.length; s++) accumulator.slots[s] += x.slots[s]
    },
    addPlainInPlace(x, id) {
      checkSame(x, spec(id), `add plaintext ${id}`)
      const values = plan.plaintexts[id]
      for (let s = 0; s < x.slots.length; s++) x.slots[s] += values[s]
    },
    squareInPlace(x) {
      for (let s = 0; s < x.slots.length; s++) x.slots[s] *= x.slots[s]
      x.scale *= x.scale
      checkRange(x)
    },
    multiplyInPlace(accumulator, x) {
      if (accumulator.level !== x.level)
        throw new PrivinferError(
          'PLAN_INVALID',
          `multiply: levels ${accumulator.level} and ${x.level} differ`,
        )
      for (let s = 0; s < x.slots.length; s++) accumulator.slots[s] *= x.slots[s]
      accumulator.scale *= x.scale
      checkRange(accumulator)
    },
    levelOf: (x) => x.level,
    rescaleInPlace(x) {
      if (x.level === 0) throw new PrivinferError('PLAN_INVALID', 'rescale at level 0')
      x.scale /= primes[x.level]
      x.level--
    },
    modSwitchToInPlace(x, level) {
      if (level > x.level)
        throw new PrivinferError('PLAN_INVALID', `cannot switch up from ${x.level} to ${level}`)
      x.level = level
    },
    clone(x) {
      return make(Float64Array.from(x.slots), x.level, x.scale)
    },
    free() {
      live--
    },
  }
}

/** Nominal primes 2^bits (for pure tests without SEAL); SEAL's primes are slightly below. */
export function nominalPrimes(parameters: HeParameters): number[] {
  return parameters.coeffModulusBits.slice(0, -1).map((bits) => 2 ** bits)
}
