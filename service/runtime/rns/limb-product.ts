/**
 * Exact integer matrix products on RNS coefficients in float64 arithmetic, for applying scalar
 * weights across ciphertexts (the features batch packing): y_j = Σ_i w_ji · x_i mod q, where x_i are
 * the NTT-form coefficients of ciphertext i modulo one prime q (< 2^61) and w_ji are the weights
 * encoded as integers (round(w · Δ), what a constant plaintext of w at scale Δ holds). This is the
 * same arithmetic as SEAL's multiply_plain by a constant followed by add, done as one matrix product.
 *
 * Exactness: every coefficient is split into `limbCount` limbs of `limbBits` bits
 * (x = Σ_l 2^(l·limbBits) x_l). For each limb, Σ_i w_ji · x_il is a sum of integers of magnitude
 * below Σ_i |w_ji| · 2^limbBits <= 2^52 (limbPlan picks limbBits from the largest row sum, and
 * splits the columns into chunks when even 13-bit limbs would not do), so float64 holds every partial
 * sum exactly, whatever the summation order. The limb sums are then reduced modulo q into [0, q)
 * (reduceInto); the caller combines them as y = Σ_l 2^(l·limbBits) s_l mod q (products by constant
 * plaintexts and adds in SEAL).
 */

const TWO_32 = 2 ** 32
/** Partial sums stay at or below this magnitude (float64 integers are exact up to 2^53). */
const EXACT = 2 ** 52
/** Narrowest limb before the columns are split into chunks instead. */
const MIN_LIMB_BITS = 13
/** Widest limb used (wider limbs would not save a limb for 60-bit primes). */
const MAX_LIMB_BITS = 26

export interface LimbPlan {
  limbBits: number
  limbCount: number
  /** Column ranges [start, end) summed separately. */
  chunks: Array<[number, number]>
}

/**
 * The limb width and column chunks that keep every limb sum exact.
 * @param modulusBits bits of the largest prime the coefficients are reduced by (<= 61).
 * @throws RangeError when a single weight is too large for 13-bit limbs (|w| · 2^13 > 2^52).
 */
export function limbPlan(
  weights: Float64Array,
  rows: number,
  columns: number,
  modulusBits: number,
): LimbPlan {
  const chunkLimit = EXACT / 2 ** MIN_LIMB_BITS
  const chunks: Array<[number, number]> = []
  const sums = new Float64Array(rows)
  let largest = 0
  let start = 0
  for (let i = 0; i < columns; i++) {
    let fits = true
    for (let j = 0; j < rows; j++) {
      const magnitude = Math.abs(weights[j * columns + i])
      if (magnitude > chunkLimit)
        throw new RangeError(`weight ${magnitude} is too large for exact limb sums`)
      if (sums[j] + magnitude > chunkLimit) fits = false
    }
    if (!fits) {
      chunks.push([start, i])
      start = i
      sums.fill(0)
    }
    for (let j = 0; j < rows; j++) {
      sums[j] += Math.abs(weights[j * columns + i])
      largest = Math.max(largest, sums[j])
    }
  }
  chunks.push([start, columns])
  const limbBits = Math.max(
    MIN_LIMB_BITS,
    Math.min(MAX_LIMB_BITS, Math.floor(Math.log2(EXACT / Math.max(largest, 1)))),
  )
  return { limbBits, limbCount: Math.ceil(modulusBits / limbBits), chunks }
}

/**
 * Limb `limb` of coefficients [wordStart, wordStart + count) of the inputs in
 * [columnStart, columnEnd), tile layout tile[t · width + c]. `inputs[i]` holds the uint64
 * coefficients as uint32 pairs (little-endian: low word first).
 */
export function fillLimbTile(
  inputs: readonly Uint32Array[],
  columnStart: number,
  columnEnd: number,
  wordStart: number,
  count: number,
  limbBits: number,
  limb: number,
  tile: Float64Array,
): void {
  const width = columnEnd - columnStart
  const low = limb * limbBits
  const high = low + limbBits
  const mask = 2 ** limbBits - 1
  for (let c = 0; c < width; c++) {
    const words = inputs[columnStart + c]
    if (high <= 32) {
      const shift = low
      for (let t = 0; t < count; t++)
        tile[t * width + c] = (words[2 * (wordStart + t)] >>> shift) & mask
    } else if (low >= 32) {
      const shift = low - 32
      for (let t = 0; t < count; t++)
        tile[t * width + c] = (words[2 * (wordStart + t) + 1] >>> shift) & mask
    } else {
      // The limb straddles the two 32-bit words.
      const lowBits = 32 - low
      const highMask = 2 ** (high - 32) - 1
      for (let t = 0; t < count; t++) {
        const lo = words[2 * (wordStart + t)] >>> low
        const hi = words[2 * (wordStart + t) + 1] & highMask
        tile[t * width + c] = lo + hi * 2 ** lowBits
      }
    }
  }
}

/**
 * sums[(j − rowStart) · count + t] = Σ_c w[j][columnStart + c] · tile[t · width + c] for rows
 * [rowStart, rowEnd): two rows and two coefficients per inner loop, accumulated in registers.
 */
export function limbSums(
  weights: Float64Array,
  columns: number,
  columnStart: number,
  columnEnd: number,
  rowStart: number,
  rowEnd: number,
  tile: Float64Array,
  count: number,
  sums: Float64Array,
): void {
  const width = columnEnd - columnStart
  for (let j = rowStart; j < rowEnd; j += 2) {
    const second = j + 1 < rowEnd
    const wa = j * columns + columnStart
    const wb = second ? wa + columns : wa
    const oa = (j - rowStart) * count
    const ob = oa + count
    for (let t = 0; t < count; t += 2) {
      const pair = t + 1 < count
      const pa = t * width
      const pb = pair ? pa + width : pa
      let a0 = 0
      let a1 = 0
      let b0 = 0
      let b1 = 0
      for (let c = 0; c < width; c++) {
        const x0 = tile[pa + c]
        const x1 = tile[pb + c]
        const u = weights[wa + c]
        const v = weights[wb + c]
        a0 += u * x0
        a1 += u * x1
        b0 += v * x0
        b1 += v * x1
      }
      sums[oa + t] = a0
      if (pair) sums[oa + t + 1] = a1
      if (second) {
        sums[ob + t] = b0
        if (pair) sums[ob + t + 1] = b1
      }
    }
  }
}

/** A prime as reduceInto needs it (q < 2^61). */
export interface LimbModulus {
  value: bigint
  /** q as a double (exact when q <= 2^53). */
  asNumber: number
  high: number
  low: number
}

export function limbModulus(q: bigint): LimbModulus {
  if (q <= 1n || q >= 2n ** 61n) throw new RangeError(`modulus ${q} out of range`)
  return { value: q, asNumber: Number(q), high: Number(q >> 32n), low: Number(q & 0xffffffffn) }
}

/**
 * Writes s mod q (s an exact integer, |s| <= 2^52) as a uint64 (two uint32, low first) at
 * words[2·index].
 */
export function reduceInto(s: number, q: LimbModulus, words: Uint32Array, index: number): void {
  let r = s
  if (q.asNumber <= EXACT) {
    // |Q·q| <= |s| + q <= 2^53: every step exact.
    r = s - Math.floor(s / q.asNumber) * q.asNumber
    if (r < 0) r += q.asNumber
    else if (r >= q.asNumber) r -= q.asNumber
  } else if (s < 0) {
    // q − |s| with q > 2^52 >= |s|: subtract on 32-bit halves (q itself is not a double).
    const magnitude = -s
    const high = Math.floor(magnitude / TWO_32)
    let low = q.low - (magnitude - high * TWO_32)
    let borrow = 0
    if (low < 0) {
      low += TWO_32
      borrow = 1
    }
    words[2 * index] = low
    words[2 * index + 1] = q.high - high - borrow
    return
  }
  const high = Math.floor(r / TWO_32)
  words[2 * index] = r - high * TWO_32
  words[2 * index + 1] = high
}
