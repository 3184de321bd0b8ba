/**
 * The negacyclic number-theoretic transform exactly as SEAL computes it (util/ntt.cpp,
 * `ntt_negacyclic_harvey`), so that a polynomial with coefficients chosen here can be handed to SEAL
 * as an NTT-form plaintext (SEAL's CKKS plaintexts and ciphertexts live in NTT form, and node-seal
 * has no coefficient setter).
 *
 * SEAL's convention: ψ is the smallest primitive 2N-th root of unity mod q
 * (`try_minimal_primitive_root`), the root table holds ψ^i at index bitreverse(i), and the forward
 * transform is the Cooley-Tukey butterfly over that table, so output index t holds a(ψ^(2·br(t)+1))
 * (bit-reversed order). Checked against SEAL's own encoder by test/core/ckks/ntt.test.ts.
 *
 * BigInt arithmetic: about 53,000 modular products per prime at N = 8192, tens of milliseconds.
 */
import { powMod } from '../math/pow-mod.ts'

/** The smallest primitive `degree`-th root of unity mod the prime q (degree a power of two). */
export function minimalPrimitiveRoot(degree: number, q: bigint): bigint {
  const d = BigInt(degree)
  if ((q - 1n) % d !== 0n) throw new RangeError(`q - 1 is not a multiple of ${degree}`)
  let root = 0n
  for (let x = 2n; x < q; x++) {
    const candidate = powMod(x, (q - 1n) / d, q)
    // Primitive iff candidate^(degree/2) = -1 (degree is a power of two).
    if (powMod(candidate, d / 2n, q) === q - 1n) {
      root = candidate
      break
    }
  }
  if (root === 0n) throw new RangeError(`no primitive ${degree}-th root mod ${q}`)
  const square = (root * root) % q
  let smallest = root
  let current = root
  for (let i = 0; i < degree; i += 2) {
    if (current < smallest) smallest = current
    current = (current * square) % q
  }
  return smallest
}

function reverseBits(value: number, bits: number): number {
  let result = 0
  for (let i = 0; i < bits; i++) result |= ((value >> i) & 1) << (bits - 1 - i)
  return result
}

export interface NttTable {
  readonly q: bigint
  readonly n: number
  /** ψ^i at index bitreverse(i). */
  readonly rootPowers: readonly bigint[]
}

/** Tables for degree-n negacyclic transforms mod the prime q (q ≡ 1 mod 2n). */
export function nttTable(n: number, q: bigint): NttTable {
  const bits = Math.log2(n)
  if (!Number.isInteger(bits)) throw new RangeError(`n = ${n} is not a power of two`)
  const psi = minimalPrimitiveRoot(2 * n, q)
  const rootPowers = new Array<bigint>(n)
  let power = 1n
  for (let i = 0; i < n; i++) {
    rootPowers[reverseBits(i, bits)] = power
    power = (power * psi) % q
  }
  return { q, n, rootPowers }
}

/** In place: coefficients (each in [0, q)) -> SEAL's NTT form. */
export function forwardNtt(values: bigint[], table: NttTable): void {
  const { q, n, rootPowers } = table
  if (values.length !== n) throw new RangeError(`${values.length} values for n = ${n}`)
  let root = 1
  for (let t = n >> 1, m = 1; m < n; m <<= 1, t >>= 1) {
    for (let i = 0; i < m; i++) {
      const s = rootPowers[root++]
      const start = 2 * i * t
      for (let j = start; j < start + t; j++) {
        const u = values[j]
        const v = (values[j + t] * s) % q
        values[j] = u + v >= q ? u + v - q : u + v
        values[j + t] = u >= v ? u - v : u - v + q
      }
    }
  }
}

/** In place: SEAL's NTT form -> coefficients in [0, q) (the inverse of {@link forwardNtt}). */
export function inverseNtt(values: bigint[], table: NttTable): void {
  const { q, n, rootPowers } = table
  if (values.length !== n) throw new RangeError(`${values.length} values for n = ${n}`)
  for (let t = 1, m = n >> 1; m >= 1; m >>= 1, t <<= 1) {
    for (let i = 0; i < m; i++) {
      // Undo the butterfly of group i at stage m: root index m + i in the forward order.
      const sInverse = powMod(rootPowers[m + i], q - 2n, q)
      const start = 2 * i * t
      for (let j = start; j < start + t; j++) {
        const a = values[j]
        const b = values[j + t]
        const sum = a + b
        values[j] = sum % q
        values[j + t] = (((a - b + q) % q) * sInverse) % q
      }
    }
  }
  const half = (q + 1n) / 2n
  // Each stage doubled the values: multiply by (1/2)^log2(n).
  const scale = powMod(half, BigInt(Math.log2(n)), q)
  for (let j = 0; j < n; j++) values[j] = (values[j] * scale) % q
}
