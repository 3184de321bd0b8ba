/**
 * The compiler's model of CKKS's encoding error (encoding-error.ts) against SEAL's encoder: the
 * exact error equals decode(encode(v)) - v, a plaintext whose coefficients all round to zero loses
 * its values, and the spread-out model's deviation is the measured one for unstructured values.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCkksContext, type CkksContext } from '../../../core/ckks/context.ts'
import { loadSeal, type SealModule } from '../../../core/seal/load.ts'
import { encodingError, toCoefficients, toSlots } from '../../../service/compiler/encoding-error.ts'

let seal: SealModule
let ctx: CkksContext
const N = 8192
const SLOTS = N / 2

beforeAll(async () => {
  seal = await loadSeal()
  ctx = createCkksContext(seal, {
    polyModulusDegree: N,
    coeffModulusBits: [56, 60, 60],
    scaleBits: 26,
  })
})
afterAll(() => ctx.delete())

/** SEAL's decode(encode(values, scale)) - values. */
function sealError(values: Float64Array, scale: number): Float64Array {
  const plaintext = new seal.Plaintext()
  try {
    ctx.encoder.encode(values, scale, plaintext)
    const decoded = ctx.encoder.decodeFloat64(plaintext) as Float64Array
    return Float64Array.from(values, (v, i) => decoded[i] - v)
  } finally {
    plaintext.delete()
  }
}

/** A reproducible pseudo-random sequence in [-1, 1). */
function uniform(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    return state / 2 ** 31 - 1
  }
}

function maxAbs(values: ArrayLike<number>): number {
  let max = 0
  for (let i = 0; i < values.length; i++) max = Math.max(max, Math.abs(values[i]))
  return max
}

describe('encodingError', () => {
  it('puts the values back from their coefficients (SEAL slot order)', () => {
    const next = uniform(1)
    const values = Float64Array.from({ length: SLOTS }, next)
    const back = toSlots(toCoefficients(values, 2 ** 20))
    for (let i = 0; i < SLOTS; i++) expect(back[i] / 2 ** 20).toBeCloseTo(values[i], 12)
  })

  const cases: Array<[string, number, (i: number, next: () => number) => number]> = [
    ['dense values', 2 ** 19, (_i, next) => next()],
    [
      'a masked diagonal with 4 weights of about 1e-2',
      2 ** 19,
      (i, next) => (i % 1000 === 7 ? 1e-2 * next() : 0),
    ],
    ['periodic replicas of 25 weights', 2 ** 26, (i, next) => (i % 169 < 25 ? next() : 0)],
  ]
  it.each(cases)('equals SEAL’s error exactly for %s', (_name, scale, value) => {
    const next = uniform(7)
    const values = Float64Array.from({ length: SLOTS }, (_, i) => value(i, next))
    const predicted = encodingError(values, scale)
    const actual = sealError(values, scale)
    expect(predicted.deviation).toBe(0)
    expect(maxAbs(actual)).toBeGreaterThan(0)
    const difference = Float64Array.from(actual, (a, i) => a - predicted.fixed![i])
    expect(maxAbs(difference)).toBeLessThan(1e-9 * maxAbs(actual))
  })

  it('gives -v for a diagonal that encodes to the zero polynomial', () => {
    const values = new Float64Array(SLOTS)
    values[17] = 2e-3
    const plaintext = new seal.Plaintext()
    ctx.encoder.encode(values, 2 ** 19, plaintext)
    expect(plaintext.isZero()).toBe(true)
    plaintext.delete()
    const { fixed } = encodingError(values, 2 ** 19)
    expect(fixed![17]).toBeCloseTo(-2e-3, 15)
    expect(maxAbs(fixed!.filter((_, i) => i !== 17))).toBeLessThan(1e-15)
  })

  it("spreads N/12 of variance per slot in the spread model, as SEAL's error does for unstructured values", () => {
    const next = uniform(3)
    const values = Float64Array.from({ length: SLOTS }, next)
    const scale = 2 ** 19
    const actual = sealError(values, scale)
    let sum = 0
    for (const e of actual) sum += e * e
    const measured = Math.sqrt(sum / SLOTS)
    const { deviation } = encodingError(values, scale, 'spread')
    expect(deviation).toBeCloseTo(Math.sqrt(N / 12) / scale, 15)
    // 4,096 samples: the measured deviation is within ~2% of the true one.
    expect(measured / deviation).toBeGreaterThan(0.95)
    expect(measured / deviation).toBeLessThan(1.05)
  })
})
