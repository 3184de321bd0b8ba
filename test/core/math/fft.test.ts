import { describe, expect, it } from 'vitest'
import { fftInPlace, isPowerOfTwo, nextPowerOfTwo } from '../../../core/math/fft.ts'

/** Direct O(N^2) DFT, the definition the FFT must reproduce. */
function naiveDft(
  real: Float64Array,
  imag: Float64Array,
): { real: Float64Array; imag: Float64Array } {
  const size = real.length
  const outReal = new Float64Array(size)
  const outImag = new Float64Array(size)
  for (let k = 0; k < size; k++) {
    for (let n = 0; n < size; n++) {
      const angle = (-2 * Math.PI * k * n) / size
      outReal[k] += real[n] * Math.cos(angle) - imag[n] * Math.sin(angle)
      outImag[k] += real[n] * Math.sin(angle) + imag[n] * Math.cos(angle)
    }
  }
  return { real: outReal, imag: outImag }
}

function pseudoRandom(size: number, seed: number): Float64Array {
  // A fixed linear congruential sequence: reproducible test data, not a privacy noise source.
  let state = seed
  return Float64Array.from({ length: size }, () => {
    state = (state * 1103515245 + 12345) % 2 ** 31
    return state / 2 ** 31 - 0.5
  })
}

describe('fftInPlace', () => {
  it.each([1, 2, 8, 64, 256])('matches the direct DFT for size %i', (size) => {
    const real = pseudoRandom(size, 7)
    const imag = pseudoRandom(size, 11)
    const expected = naiveDft(real, imag)
    fftInPlace(real, imag)
    for (let k = 0; k < size; k++) {
      expect(real[k]).toBeCloseTo(expected.real[k], 10)
      expect(imag[k]).toBeCloseTo(expected.imag[k], 10)
    }
  })

  it('inverts itself to round-off on 2^16 points', () => {
    const size = 2 ** 16
    const original = pseudoRandom(size, 3)
    const real = Float64Array.from(original)
    const imag = new Float64Array(size)
    fftInPlace(real, imag)
    fftInPlace(real, imag, true)
    let worst = 0
    for (let k = 0; k < size; k++)
      worst = Math.max(worst, Math.abs(real[k] - original[k]), Math.abs(imag[k]))
    expect(worst).toBeLessThan(1e-14)
  })

  it('turns a circular convolution into a product', () => {
    const size = 16
    const a = pseudoRandom(size, 5)
    const b = pseudoRandom(size, 9)
    const direct = new Float64Array(size)
    for (let i = 0; i < size; i++)
      for (let j = 0; j < size; j++) direct[(i + j) % size] += a[i] * b[j]
    const [ar, ai, br, bi] = [
      Float64Array.from(a),
      new Float64Array(size),
      Float64Array.from(b),
      new Float64Array(size),
    ]
    fftInPlace(ar, ai)
    fftInPlace(br, bi)
    for (let k = 0; k < size; k++) {
      const re = ar[k] * br[k] - ai[k] * bi[k]
      ai[k] = ar[k] * bi[k] + ai[k] * br[k]
      ar[k] = re
    }
    fftInPlace(ar, ai, true)
    for (let k = 0; k < size; k++) expect(ar[k]).toBeCloseTo(direct[k], 12)
  })

  it('rejects lengths that are not powers of two', () => {
    expect(() => fftInPlace(new Float64Array(12), new Float64Array(12))).toThrow(RangeError)
    expect(isPowerOfTwo(12)).toBe(false)
    expect(nextPowerOfTwo(12)).toBe(16)
    expect(nextPowerOfTwo(16)).toBe(16)
  })
})
