/**
 * Generalized diagonal method over the full slot vector (DESIGN.md §Packing, Halevi–Shoup 2014,
 * generalized to arbitrary slot contents).
 *
 * For y = W x with m rows (M = nextPow2(m)), row j is accumulated in the slots s ≡ j (mod M):
 * Y = Σ_r p_r ⊙ rot(c, r). Slot s of rot(c, r) holds x[contents[s + r]]; p_r[s] gets
 * W[s mod M][contents[s + r]] when that (row, column) pair is not covered yet, else 0. Every non-zero
 * weight must end up covered exactly once; a fold (Σ_t rot(Y, t·M)) then sums the partial sums.
 */
import { EMPTY } from './slot-contents.ts'

export interface DiagonalAssignment {
  /** Non-zero diagonals by rotation step r (all-zero diagonals are omitted). */
  diagonals: Map<number, Float64Array>
  /** Row period M (power of two >= rows). */
  rowPeriod: number
  /** Largest copy index u (slot j + u·M) that carries a non-zero product, over all rows. */
  maxCopyIndex: number
  /** Number of (row, column) pairs with a non-zero weight that no rotation < rotationCount covers. */
  uncovered: number
}

export interface AssignDiagonalsInput {
  /** Row-major rows x columns. */
  weights: Float64Array
  rows: number
  columns: number
  rowPeriod: number
  /** Slot contents of the input ciphertext (column index or EMPTY). */
  contents: Int32Array
  /** Rotations tried: 0 .. rotationCount-1. */
  rotationCount: number
  /**
   * Products only in copies 0 .. copyLimit-1 (slot s is in copy floor(s / rowPeriod)); default: all.
   * With 1, every row's whole sum lands in slot j of copy 0: no fold is needed and every other slot
   * of the product is zero, which masks the output (service/compiler/lower.ts `maskOutput`).
   */
  copyLimit?: number
}

/**
 * Brute-force assignment of weights to diagonals (first rotation, then first slot, wins).
 * Cost: slotCount · rotationCount steps (131k for 784→128 with 32 rotations).
 */
export function assignDiagonals(input: AssignDiagonalsInput): DiagonalAssignment {
  const { weights, rows, columns, rowPeriod, contents, rotationCount } = input
  const slotCount = contents.length
  const usableSlots = Math.min(slotCount, (input.copyLimit ?? Infinity) * rowPeriod)
  if (slotCount % rowPeriod !== 0)
    throw new RangeError(`row period ${rowPeriod} must divide ${slotCount}`)
  const covered = new Uint8Array(rows * columns)
  const diagonals = new Map<number, Float64Array>()
  let maxCopyIndex = 0
  for (let r = 0; r < rotationCount; r++) {
    let diagonal: Float64Array | undefined
    for (let s = 0; s < usableSlots; s++) {
      const row = s % rowPeriod
      if (row >= rows) continue
      const column = contents[(s + r) % slotCount]
      if (column === EMPTY) continue
      const pair = row * columns + column
      if (covered[pair] === 1) continue
      const weight = weights[pair]
      if (weight === 0) continue
      covered[pair] = 1
      diagonal ??= new Float64Array(slotCount)
      diagonal[s] = weight
      maxCopyIndex = Math.max(maxCopyIndex, Math.floor(s / rowPeriod))
    }
    if (diagonal !== undefined) diagonals.set(r, diagonal)
  }
  let uncovered = 0
  for (let pair = 0; pair < rows * columns; pair++) {
    if (weights[pair] !== 0 && covered[pair] === 0) uncovered++
  }
  return { diagonals, rowPeriod, maxCopyIndex, uncovered }
}

/**
 * Y = Σ_r p_r ⊙ rot(x, r) on plain slot vectors (reference for tests and calibration); r may be
 * negative (the placed-output diagonals of placed-diagonals.ts), rotations are cyclic.
 */
export function applyDiagonals(
  diagonals: Map<number, Float64Array>,
  slots: Float64Array,
): Float64Array {
  const n = slots.length
  const out = new Float64Array(n)
  for (const [r, diagonal] of diagonals) {
    for (let s = 0; s < n; s++) {
      const weight = diagonal[s]
      if (weight !== 0) out[s] += weight * slots[(((s + r) % n) + n) % n]
    }
  }
  return out
}
