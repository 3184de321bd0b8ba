/**
 * An in-place iterative radix-2 Cooley-Tukey FFT on split real/imaginary Float64Arrays.
 *
 * Twiddle factors come from Math.cos/Math.sin per index (not from a recurrence), so their error
 * stays at one ulp whatever the size; the PRV accountant (training/accountant/prv.ts) raises
 * transformed values to powers in the tens of thousands, which magnifies any error in them. The
 * compiler's encoding-error model (service/compiler/encoding-error.ts) uses it for CKKS's
 * canonical embedding, the scattering transform (core/features/scattering.ts) on its 32x32 grid.
 */

/** True for 1, 2, 4, 8, ... */
export function isPowerOfTwo(size: number): boolean {
  return Number.isSafeInteger(size) && size > 0 && (size & (size - 1)) === 0
}

/** The smallest power of two >= size. */
export function nextPowerOfTwo(size: number): number {
  let power = 1
  while (power < size) power *= 2
  return power
}

const twiddleCache = new Map<number, { cos: Float64Array; sin: Float64Array }>()
/** Sizes up to this one keep their table (1 MB at most). */
const SMALL_TABLE = 2 ** 16

/** cos and sin of 2 pi k / size for k < size / 2, cached per size (they are reused by every call). */
function twiddles(size: number): { cos: Float64Array; sin: Float64Array } {
  let table = twiddleCache.get(size)
  if (!table) {
    const half = size / 2
    const cos = new Float64Array(half)
    const sin = new Float64Array(half)
    for (let k = 0; k < half; k++) {
      const angle = (2 * Math.PI * k) / size
      cos[k] = Math.cos(angle)
      sin[k] = Math.sin(angle)
    }
    table = { cos, sin }
    // Small tables (the scattering transform's 32, the encoder model's N) stay; of the large ones
    // (the accountant's reach 32 MB) only the last is kept.
    if (size > SMALL_TABLE)
      for (const cached of twiddleCache.keys())
        if (cached > SMALL_TABLE) twiddleCache.delete(cached)
    twiddleCache.set(size, table)
  }
  return table
}

/**
 * Transforms (real, imag) in place: X[k] = sum_n x[n] e^{-2 pi i k n / N} (forward) or
 * sum_n x[n] e^{+2 pi i k n / N} / N (inverse).
 * @throws RangeError when the length is not a power of two or the arrays differ in length.
 */
export function fftInPlace(real: Float64Array, imag: Float64Array, inverse = false): void {
  const size = real.length
  if (imag.length !== size || !isPowerOfTwo(size)) {
    throw new RangeError(`fft: length must be a power of two (got ${size} and ${imag.length})`)
  }
  if (size === 1) return
  // Bit-reversal permutation.
  for (let i = 1, j = 0; i < size; i++) {
    let bit = size >> 1
    for (; j & bit; bit >>= 1) j ^= bit
    j ^= bit
    if (i < j) {
      const re = real[i]
      real[i] = real[j]
      real[j] = re
      const im = imag[i]
      imag[i] = imag[j]
      imag[j] = im
    }
  }
  const { cos, sin } = twiddles(size)
  const sign = inverse ? 1 : -1
  for (let length = 2; length <= size; length *= 2) {
    const half = length / 2
    const stride = size / length
    for (let start = 0; start < size; start += length) {
      for (let k = 0; k < half; k++) {
        const wr = cos[k * stride]
        const wi = sign * sin[k * stride]
        const a = start + k
        const b = a + half
        const br = real[b] * wr - imag[b] * wi
        const bi = real[b] * wi + imag[b] * wr
        real[b] = real[a] - br
        imag[b] = imag[a] - bi
        real[a] += br
        imag[a] += bi
      }
    }
  }
  if (inverse) {
    for (let i = 0; i < size; i++) {
      real[i] /= size
      imag[i] /= size
    }
  }
}
