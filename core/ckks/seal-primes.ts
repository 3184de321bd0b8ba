/**
 * The primes SEAL's CoeffModulus.Create picks for a ring and a list of bit sizes, without loading
 * SEAL: for each bit size b, the largest primes p ≡ 1 (mod 2N) below 2^b, as many as the size
 * appears, handed out smallest first in the order the sizes appear. The compiler's noise model (service/compiler/tolerance.ts) needs
 * the exact primes: the scale schedule derives every plaintext's scale from them, and the
 * rounding of a plaintext's coefficients depends on its exact scale. Checked against SEAL's
 * context in test/core/ckks/seal-primes.test.ts.
 */
import { powMod } from '../math/pow-mod.ts'

/** Witnesses that decide primality for every n < 3.3e24 (and so every 64-bit n). */
const WITNESSES = [2n, 3n, 5n, 7n, 11n, 13n, 17n, 19n, 23n, 29n, 31n, 37n, 41n]

/** Deterministic Miller-Rabin for n < 2^64. */
export function isPrime(n: bigint): boolean {
  if (n < 2n) return false
  for (const p of WITNESSES) {
    if (n === p) return true
    if (n % p === 0n) return false
  }
  let d = n - 1n
  let r = 0
  while ((d & 1n) === 0n) {
    d >>= 1n
    r++
  }
  witness: for (const a of WITNESSES) {
    let x = powMod(a, d, n)
    if (x === 1n || x === n - 1n) continue
    for (let i = 1; i < r; i++) {
      x = (x * x) % n
      if (x === n - 1n) continue witness
    }
    return false
  }
  return true
}

const cache = new Map<string, readonly number[]>()

/**
 * SEAL's primes for `bitSizes` (all of coeffModulusBits, the special prime last), as doubles.
 * @throws RangeError when a size holds too few such primes (SEAL refuses these too).
 */
export function sealPrimes(polyModulusDegree: number, bitSizes: readonly number[]): number[] {
  const key = `${polyModulusDegree}:${bitSizes.join(',')}`
  let primes = cache.get(key)
  if (primes === undefined) {
    const factor = 2n * BigInt(polyModulusDegree)
    const bySize = new Map<number, bigint[]>()
    for (const bits of new Set(bitSizes)) {
      const wanted = bitSizes.filter((b) => b === bits).length
      const found: bigint[] = []
      const lowerBound = 1n << BigInt(bits - 1)
      let value = (((1n << BigInt(bits)) - 1n) / factor) * factor + 1n
      while (found.length < wanted && value > lowerBound) {
        if (isPrime(value)) found.push(value)
        value -= factor
      }
      if (found.length < wanted)
        throw new RangeError(
          `too few ${bits}-bit primes = 1 mod ${factor} for N = ${polyModulusDegree}`,
        )
      bySize.set(bits, found)
    }
    // SEAL takes each size's primes from the end of the descending list: smallest first.
    primes = bitSizes.map((bits) => Number(bySize.get(bits)!.pop()))
    cache.set(key, primes)
  }
  return [...primes]
}
