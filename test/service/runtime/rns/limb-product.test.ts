/**
 * The exact limb products (service/runtime/rns/limb-product.ts) against BigInt arithmetic:
 * Σ_i w_ji · x_i mod q for random coefficients below 35-, 57- and 60-bit primes, weights from small
 * to as large as 13-bit limbs allow (column chunks), negative sums included.
 */
import { describe, expect, it } from 'vitest'
import {
  fillLimbTile,
  limbModulus,
  limbPlan,
  limbSums,
  reduceInto,
} from '../../../../service/runtime/rns/limb-product.ts'
import { seededRandom } from '../../../../service/compiler/seeded-random.ts'

// Moduli of 35, 57 and 60 bits (the sizes of the data primes the bundled models use).
const PRIMES = [34359214081n, 144115188075593729n, 1152921504606830593n]

function randomBelow(q: bigint, next: () => number): bigint {
  const high = BigInt(Math.floor(next() * 2 ** 31))
  const low = BigInt(Math.floor(next() * 2 ** 32))
  return ((high << 32n) | low) % q
}

describe('exact limb products on RNS coefficients', () => {
  it.each([
    ['small weights', 2 ** 18],
    ['large weights (narrow limbs)', 2 ** 34],
    ['huge weights (column chunks)', 2 ** 38],
  ])('%s: every output equals Σ w·x mod q', (_name, weightBound) => {
    const next = seededRandom(7)
    const rows = 5
    const columns = 40
    const count = 9
    const weights = Float64Array.from({ length: rows * columns }, () =>
      Math.round((2 * next() - 1) * weightBound),
    )
    for (const q of PRIMES) {
      const modulus = limbModulus(q)
      const values = Array.from({ length: columns }, () =>
        Array.from({ length: count }, () => randomBelow(q, next)),
      )
      const inputs = values.map((column) => {
        const words = new Uint32Array(2 * count)
        column.forEach((value, t) => {
          words[2 * t] = Number(value & 0xffffffffn)
          words[2 * t + 1] = Number(value >> 32n)
        })
        return words
      })
      const plan = limbPlan(weights, rows, columns, q.toString(2).length)
      if (weightBound > 2 ** 36) expect(plan.chunks.length).toBeGreaterThan(1)
      const expected = Array.from({ length: rows }, (_, j) =>
        Array.from({ length: count }, (_, t) => {
          let sum = 0n
          for (let i = 0; i < columns; i++) sum += BigInt(weights[j * columns + i]) * values[i][t]
          return ((sum % q) + q) % q
        }),
      )
      const got = Array.from({ length: rows }, () => new Array<bigint>(count).fill(0n))
      const tile = new Float64Array(count * columns)
      const sums = new Float64Array(rows * count)
      const words = new Uint32Array(2 * count)
      for (const [start, end] of plan.chunks) {
        for (let limb = 0; limb < plan.limbCount; limb++) {
          fillLimbTile(inputs, start, end, 0, count, plan.limbBits, limb, tile)
          limbSums(weights, columns, start, end, 0, rows, tile, count, sums)
          for (let j = 0; j < rows; j++) {
            for (let t = 0; t < count; t++) {
              reduceInto(sums[j * count + t], modulus, words, t)
              const reduced = BigInt(words[2 * t]) + (BigInt(words[2 * t + 1]) << 32n)
              expect(reduced < q).toBe(true)
              got[j][t] = (got[j][t] + (reduced << BigInt(limb * plan.limbBits))) % q
            }
          }
        }
      }
      expect(got).toEqual(expected)
    }
  })
})
