/**
 * sealPrimes against SEAL's own CoeffModulus.Create (through createCkksContext) for chains the
 * compiler picks: repeated sizes, a special prime of a size the data primes also use, every ring.
 */
import { describe, expect, it } from 'vitest'
import { createCkksContext } from '../../../core/ckks/context.ts'
import { isPrime, sealPrimes } from '../../../core/ckks/seal-primes.ts'
import { loadSeal } from '../../../core/seal/load.ts'

describe('isPrime', () => {
  it('tells primes from composites, Carmichael numbers and strong pseudoprimes included', () => {
    const primes = [2n, 3n, 65537n, 2n ** 31n - 1n, 2n ** 61n - 1n, 1152921504606830593n]
    const composites = [1n, 561n, 41041n, 3215031751n, 2n ** 59n - 1n, 3825123056546413051n]
    for (const p of primes) expect(isPrime(p)).toBe(true)
    for (const c of composites) expect(isPrime(c)).toBe(false)
  })
})

describe('sealPrimes', () => {
  const chains: Array<[number, number[]]> = [
    [4096, [34, 36, 36]],
    [8192, [56, 60, 60]],
    [8192, [60, 40, 40, 60]],
    [16384, [60, 30, 30, 30, 30, 30, 30, 30, 60]],
    [32768, [60, 26, 26, 26, 60]],
  ]
  it.each(chains)("equals SEAL's data primes for N = %i, bits %j", async (n, bits) => {
    const seal = await loadSeal()
    const ctx = createCkksContext(seal, {
      polyModulusDegree: n,
      coeffModulusBits: bits,
      scaleBits: 26,
    })
    try {
      const primes = sealPrimes(n, bits)
      expect(primes).toHaveLength(bits.length)
      expect(primes.slice(0, -1)).toEqual([...ctx.primes])
      for (const [i, p] of primes.entries()) {
        expect(Math.log2(p)).toBeLessThan(bits[i])
        expect(Math.log2(p)).toBeGreaterThan(bits[i] - 1)
      }
    } finally {
      ctx.delete()
    }
  })

  it('refuses a size with too few primes', () => {
    expect(() => sealPrimes(32768, [17, 17, 17, 17, 17, 17, 17, 17])).toThrow(RangeError)
  })
})
