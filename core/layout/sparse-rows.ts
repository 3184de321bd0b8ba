/**
 * Sparse matrices in compressed-row form, for linear maps whose rows touch few inputs
 * (convolutions: one row per output pixel, kernel-size non-zeros).
 */

export interface SparseRows {
  rows: number
  columns: number
  /** Row i's non-zeros are entries rowStart[i] .. rowStart[i+1]-1 (length rows + 1). */
  rowStart: Int32Array
  columnIndex: Int32Array
  values: Float64Array
}

/** The non-zeros of a dense row-major rows x columns matrix. */
export function sparseRowsOf(
  weights: ArrayLike<number>,
  rows: number,
  columns: number,
): SparseRows {
  if (weights.length !== rows * columns)
    throw new RangeError(`${weights.length} weights for a ${rows}x${columns} matrix`)
  let count = 0
  for (let i = 0; i < weights.length; i++) if (weights[i] !== 0) count++
  const rowStart = new Int32Array(rows + 1)
  const columnIndex = new Int32Array(count)
  const values = new Float64Array(count)
  let entry = 0
  for (let i = 0; i < rows; i++) {
    rowStart[i] = entry
    for (let j = 0; j < columns; j++) {
      const w = weights[i * columns + j]
      if (w === 0) continue
      columnIndex[entry] = j
      values[entry] = w
      entry++
    }
  }
  rowStart[rows] = entry
  return { rows, columns, rowStart, columnIndex, values }
}

/** y = W x on plain arrays. */
export function multiplySparse(matrix: SparseRows, x: ArrayLike<number>): Float64Array {
  const y = new Float64Array(matrix.rows)
  for (let i = 0; i < matrix.rows; i++) {
    let sum = 0
    for (let e = matrix.rowStart[i]; e < matrix.rowStart[i + 1]; e++)
      sum += matrix.values[e] * x[matrix.columnIndex[e]]
    y[i] = sum
  }
  return y
}
