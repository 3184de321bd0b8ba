import { describe, expect, it } from 'vitest'
import { nextPowerOfTwo, rotate } from '../../../core/layout/rotate.ts'
import { applyDiagonals, assignDiagonals } from '../../../core/layout/diagonal-assignment.ts'
import {
  applyBabyGiant,
  bestGiantStep,
  rotationsOfSplit,
  splitBabyGiant,
} from '../../../core/layout/baby-giant.ts'
import { applyFold, foldStages, rotationsOfFold } from '../../../core/layout/fold.ts'
import { preRotatedLayout, replicatedLayout } from '../../../core/layout/input-layouts.ts'
import {
  contentsOfInputLayout,
  packByContents,
  replicatedContents,
} from '../../../core/layout/slot-contents.ts'

function random(seed: number) {
  let state = seed
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648
    return state / 2147483648 - 0.5
  }
}

function matVec(
  weights: Float64Array,
  rows: number,
  columns: number,
  x: Float64Array,
): Float64Array {
  const y = new Float64Array(rows)
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < columns; j++) y[i] += weights[i * columns + j] * x[j]
  return y
}

function check(
  rows: number,
  columns: number,
  slotCount: number,
  layout: ReturnType<typeof replicatedLayout>,
  rotationCount: number,
  sparsity = 0,
) {
  const next = random(rows * 1000 + columns)
  const weights = Float64Array.from({ length: rows * columns }, () =>
    next() + 0.5 < sparsity ? 0 : next(),
  )
  const x = Float64Array.from({ length: columns }, next)
  const rowPeriod = nextPowerOfTwo(rows)
  const contents = contentsOfInputLayout(layout)
  const assignment = assignDiagonals({ weights, rows, columns, rowPeriod, contents, rotationCount })
  expect(assignment.uncovered).toBe(0)
  const slots = packByContents(contents, x)
  const direct = applyDiagonals(assignment.diagonals, slots)
  const split = splitBabyGiant(assignment.diagonals, bestGiantStep(assignment.diagonals))
  const viaBsgs = applyBabyGiant(split, slots)
  for (let s = 0; s < slotCount; s++) expect(viaBsgs[s]).toBeCloseTo(direct[s], 12)
  const folded = applyFold(foldStages(rowPeriod, slotCount / rowPeriod), direct)
  const expected = matVec(weights, rows, columns, x)
  // Fully folded: y replicated with period M in every slot.
  for (let s = 0; s < slotCount; s++) {
    const row = s % rowPeriod
    expect(folded[s]).toBeCloseTo(row < rows ? expected[row] : 0, 10)
  }
  return { assignment, split }
}

describe('rotate', () => {
  it('follows SEAL: rotate(x, k)[i] = x[i + k], cyclically, negative steps go right', () => {
    expect(Array.from(rotate([1, 2, 3, 4], 1))).toEqual([2, 3, 4, 1])
    expect(Array.from(rotate([1, 2, 3, 4], -1))).toEqual([4, 1, 2, 3])
    expect(nextPowerOfTwo(784)).toBe(1024)
  })
})

describe('generalized diagonals + BSGS + fold equal W·x', () => {
  it('784→128 on replicated input (period 1024): 128 diagonals', () => {
    const { assignment } = check(128, 784, 4096, replicatedLayout(784, 1024, 4096), 128)
    expect(assignment.diagonals.size).toBe(128)
  })

  it('784→128 on pre-rotated replicas (offsets -128 + 32b): 32 diagonals, 7 baby + 3 giant rotations', () => {
    const { assignment, split } = check(
      128,
      784,
      4096,
      preRotatedLayout(784, 1024, 4096, -128, 32),
      32,
    )
    expect(assignment.diagonals.size).toBe(32)
    expect(rotationsOfSplit(split)).toBe(10)
  })

  it('pre-rotated replicas with too few rotations leave weights uncovered', () => {
    const weights = new Float64Array(128 * 784).fill(1)
    const contents = contentsOfInputLayout(preRotatedLayout(784, 1024, 4096, -128, 16))
    expect(
      assignDiagonals({
        weights,
        rows: 128,
        columns: 784,
        rowPeriod: 128,
        contents,
        rotationCount: 16,
      }).uncovered,
    ).toBeGreaterThan(0)
  })

  it('10→128 on a period-128 replicated hidden vector, and an expanding 10→64 layer', () => {
    check(
      10,
      128,
      4096,
      {
        slotCount: 4096,
        inputSize: 128,
        blocks: Array.from({ length: 32 }, (_, k) => ({
          slotStart: 128 * k,
          length: 128,
          inputOffset: 0,
        })),
      },
      16,
    )
    check(64, 10, 256, replicatedLayout(10, 16, 256), 64)
  })

  it('with copyLimit 1 puts every whole row sum in copy 0 and leaves every other slot zero (masking)', () => {
    const rows = 10
    const columns = 128
    const next = random(42)
    const weights = Float64Array.from({ length: rows * columns }, next)
    const x = Float64Array.from({ length: columns }, next)
    const contents = replicatedContents(columns, 128, 4096)
    const assignment = assignDiagonals({
      weights,
      rows,
      columns,
      rowPeriod: 16,
      contents,
      rotationCount: 128,
      copyLimit: 1,
    })
    expect(assignment.uncovered).toBe(0)
    expect(assignment.maxCopyIndex).toBe(0)
    expect(assignment.diagonals.size).toBe(128)
    const product = applyDiagonals(assignment.diagonals, packByContents(contents, x))
    const expected = matVec(weights, rows, columns, x)
    for (let s = 0; s < 4096; s++)
      if (s < rows) expect(product[s]).toBeCloseTo(expected[s], 10)
      else expect(product[s]).toBe(0)
    // Too few rotations for whole sums in one copy: weights are left uncovered.
    expect(
      assignDiagonals({
        weights,
        rows,
        columns,
        rowPeriod: 16,
        contents,
        rotationCount: 16,
        copyLimit: 1,
      }).uncovered,
    ).toBeGreaterThan(0)
  })

  it('skips all-zero diagonals of a sparse matrix', () => {
    const rows = 8
    const columns = 8
    const weights = new Float64Array(rows * columns)
    for (let i = 0; i < rows; i++) weights[i * columns + i] = i + 1 // diagonal matrix
    const contents = replicatedContents(columns, 8, 64)
    const assignment = assignDiagonals({
      weights,
      rows,
      columns,
      rowPeriod: 8,
      contents,
      rotationCount: 8,
    })
    expect([...assignment.diagonals.keys()]).toEqual([0])
    expect(assignment.maxCopyIndex).toBe(0)
  })
})

describe('fold stages', () => {
  it('radix 2 uses log2(copies) rotations, radix 4 fewer keys and more rotations, same sums', () => {
    const radix2 = foldStages(128, 32)
    const radix4 = foldStages(128, 32, 4)
    expect(radix2.map((stage) => stage.step)).toEqual([128, 256, 512, 1024, 2048])
    expect(rotationsOfFold(radix2)).toBe(5)
    expect(radix4.map((stage) => stage.step)).toEqual([128, 512, 2048])
    expect(rotationsOfFold(radix4)).toBe(7)
    const next = random(3)
    const slots = Float64Array.from({ length: 4096 }, next)
    const a = applyFold(radix2, slots)
    const b = applyFold(radix4, slots)
    for (let s = 0; s < 4096; s++) expect(b[s]).toBeCloseTo(a[s], 10)
  })
})
