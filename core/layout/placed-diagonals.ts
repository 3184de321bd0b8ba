/**
 * Generalized diagonals for y = W x with placed outputs (DESIGN.md §Packing, "sparse Toeplitz
 * diagonals"; Halevi–Shoup 2014 generalized to arbitrary slot contents on both sides).
 *
 * The input ciphertext's slot t holds x[contents[t]] (or nothing, EMPTY); the result must hold
 * y[targets[s]] in every slot s with a target, complete (no fold afterwards). With
 * Y = Σ_r p_r ⊙ rot(c, r), slot s of rot(c, r) holds x[contents[s + r]], so a diagonal p_r can
 * supply the term W[targets[s]][contents[s + r]] at s. Every (target slot, non-zero column) pair
 * must be supplied exactly once. A convolution whose input channels sit in grid blocks and whose
 * outputs sit on the grid of their window corners needs one diagonal per (kernel tap, block shift)
 * instead of one per output row: 25 for a 5x5 kernel on a single channel.
 *
 * Rotations are signed, in (-slotCount/2, slotCount/2], so that small left and right shifts stay
 * small (the BSGS split and the Galois steps depend on it).
 */
import { EMPTY } from './slot-contents.ts'
import type { SparseRows } from './sparse-rows.ts'

export interface PlacedDiagonals {
  /** Non-zero diagonals by signed rotation step. */
  diagonals: Map<number, Float64Array>
  /** (target slot, non-zero column) pairs that no rotation can supply (column absent from contents). */
  uncovered: number
}

export interface PlacedDiagonalsInput {
  matrix: SparseRows
  /** Slot -> input column (or EMPTY), length slotCount. */
  contents: Int32Array
  /** Slot -> output row (or EMPTY), length slotCount. */
  targets: Int32Array
}

/** The signed representative of r modulo n, in (-n/2, n/2]. */
export function signedRotation(r: number, n: number): number {
  const m = ((r % n) + n) % n
  return m > n / 2 ? m - n : m
}

/**
 * Greedy cover: repeatedly take the rotation that supplies the most pairs not yet supplied (ties:
 * the smallest |r|, then the positive one). A regular layout makes each kernel tap one rotation that
 * supplies every output of the tap, so greedy finds the structured cover; irregular leftovers get
 * their own (sparser) diagonals. Cost: Σ over pairs of the column's copies, per chosen rotation a
 * scan of the candidate rotations.
 */
export function assignPlacedDiagonals(input: PlacedDiagonalsInput): PlacedDiagonals {
  const { matrix, contents, targets } = input
  const slotCount = contents.length
  if (targets.length !== slotCount)
    throw new RangeError(`targets has ${targets.length} slots, contents ${slotCount}`)

  // Slots holding each column (a column may have several copies).
  const copyStart = new Int32Array(matrix.columns + 1)
  for (const column of contents) if (column !== EMPTY) copyStart[column + 1]++
  for (let j = 0; j < matrix.columns; j++) copyStart[j + 1] += copyStart[j]
  const copySlots = new Int32Array(copyStart[matrix.columns])
  const fill = copyStart.slice(0, matrix.columns)
  contents.forEach((column, slot) => {
    if (column !== EMPTY) copySlots[fill[column]++] = slot
  })

  // Pairs (target slot, non-zero entry) and, per rotation, the pairs it can supply.
  const pairSlot: number[] = []
  const pairEntry: number[] = []
  const candidates = new Map<number, number[]>()
  let uncovered = 0
  targets.forEach((row, slot) => {
    if (row === EMPTY) return
    for (let e = matrix.rowStart[row]; e < matrix.rowStart[row + 1]; e++) {
      const column = matrix.columnIndex[e]
      if (copyStart[column] === copyStart[column + 1]) {
        uncovered++
        continue
      }
      const pair = pairSlot.length
      pairSlot.push(slot)
      pairEntry.push(e)
      for (let c = copyStart[column]; c < copyStart[column + 1]; c++) {
        const r = signedRotation(copySlots[c] - slot, slotCount)
        let list = candidates.get(r)
        if (list === undefined) candidates.set(r, (list = []))
        list.push(pair)
      }
    }
  })
  const remaining = new Map<number, number>()
  for (const [r, list] of candidates) remaining.set(r, list.length)
  const supplied = new Uint8Array(pairSlot.length)
  let left = pairSlot.length
  const diagonals = new Map<number, Float64Array>()
  while (left > 0) {
    let best = 0
    let bestCount = 0
    for (const [r, count] of remaining) {
      if (
        count > bestCount ||
        (count === bestCount &&
          count > 0 &&
          (Math.abs(r) < Math.abs(best) || (Math.abs(r) === Math.abs(best) && r > best)))
      ) {
        best = r
        bestCount = count
      }
    }
    const diagonal = new Float64Array(slotCount)
    for (const pair of candidates.get(best)!) {
      if (supplied[pair] === 1) continue
      const slot = pairSlot[pair]
      supplied[pair] = 1
      left--
      diagonal[slot] = matrix.values[pairEntry[pair]]
      const column = matrix.columnIndex[pairEntry[pair]]
      for (let c = copyStart[column]; c < copyStart[column + 1]; c++) {
        const r = signedRotation(copySlots[c] - slot, slotCount)
        const count = remaining.get(r)
        if (count !== undefined) remaining.set(r, count - 1)
      }
    }
    remaining.delete(best)
    diagonals.set(best, diagonal)
  }
  return { diagonals, uncovered }
}
