/**
 * core/ckks/ntt.ts reproduces SEAL's NTT form: SEAL's own CKKS encoder is the oracle. A plaintext
 * of real slot values is an integer polynomial with a_(N-k) = -a_k and a_(N/2) = 0 (invariant
 * under X -> X^-1) and coefficients about Δ·max|x|; read back with the inverse transform under the
 * wrong root or order, its coefficients would be uniform mod q (about q/4 on average), not small.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCkksContext, type CkksContext } from '../../../core/ckks/context.ts'
import { forwardNtt, inverseNtt, minimalPrimitiveRoot, nttTable } from '../../../core/ckks/ntt.ts'
import { loadSeal } from '../../../core/seal/load.ts'

let ctx: CkksContext
beforeAll(async () => {
  ctx = createCkksContext(await loadSeal(), {
    polyModulusDegree: 4096,
    coeffModulusBits: [36, 30, 40],
    scaleBits: 24,
  })
})
afterAll(() => ctx?.delete())

/** The NTT-form words of an encoded plaintext, prime by prime. */
function encodedWords(values: Float64Array, scale: number): bigint[][] {
  const { seal } = ctx
  const n = ctx.params.polyModulusDegree
  const plaintext = new seal.Plaintext()
  try {
    ctx.encoder.encode(values, scale, plaintext)
    const bytes: Uint8Array = plaintext.saveToArray(seal.ComprModeType.none)
    const primeCount = ctx.topLevel + 1
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    const start = bytes.length - 8 * n * primeCount
    return Array.from({ length: primeCount }, (_, p) =>
      Array.from({ length: n }, (_, i) => view.getBigUint64(start + 8 * (p * n + i), true)),
    )
  } finally {
    plaintext.delete()
  }
}

describe('SEAL NTT convention', () => {
  it('finds the smallest primitive 8th root (psi^4 = -1, its other primitive powers larger)', () => {
    const q = ctx.primeValues[0]
    const psi = minimalPrimitiveRoot(8, q)
    const powers = [1n]
    for (let i = 1; i < 8; i++) powers.push((powers[i - 1] * psi) % q)
    expect(powers[4]).toBe(q - 1n)
    for (const odd of [3, 5, 7]) expect(powers[odd]).toBeGreaterThan(psi)
  })

  it('reads an encoded plaintext back as the small antisymmetric polynomial of real slots', () => {
    const n = ctx.params.polyModulusDegree
    const values = Float64Array.from({ length: n / 2 }, (_, i) => 3 * Math.sin(i))
    const scale = 2 ** 24
    const words = encodedWords(values, scale)
    words.forEach((residues, p) => {
      const q = ctx.primeValues[p]
      const table = nttTable(n, q)
      const coefficients = [...residues]
      inverseNtt(coefficients, table)
      const centered = coefficients.map((c) => Number(c > q / 2n ? c - q : c))
      const largest = Math.max(...centered.map(Math.abs))
      expect(largest).toBeGreaterThan(0)
      expect(largest).toBeLessThan(3 * scale)
      expect(centered[n / 2]).toBe(0)
      for (let k = 1; k < n / 2; k++) expect(centered[n - k]).toBe(-centered[k])
      const again = [...coefficients]
      forwardNtt(again, table)
      expect(again).toEqual(residues)
    })
  })
})
