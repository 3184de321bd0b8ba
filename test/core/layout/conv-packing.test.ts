import { describe, expect, it } from 'vitest'
import { replicaLayout } from '../../../core/layout/input-layouts.ts'
import {
  contentsOfGrid,
  placeWindowOutputs,
  poolByFold,
  slotOf,
  type GridPlacement,
} from '../../../core/layout/grid-placement.ts'
import { applyDiagonals } from '../../../core/layout/diagonal-assignment.ts'
import { assignPlacedDiagonals } from '../../../core/layout/placed-diagonals.ts'
import {
  applyOffsetSplit,
  bestOffsetSplit,
  rotationsOfOffsetSplit,
  stepsOfOffsetSplit,
} from '../../../core/layout/offset-baby-giant.ts'
import { applyFold } from '../../../core/layout/fold.ts'
import { contentsOfInputLayout, packByContents } from '../../../core/layout/slot-contents.ts'
import { sparseRowsOf } from '../../../core/layout/sparse-rows.ts'
import { composeWindows } from '../../../core/layout/window-geometry.ts'
import { seededRandom } from '../../../service/compiler/seeded-random.ts'
import { averagePool, convGeometry, convMatrix, convolve } from '../../support/conv-reference.ts'

const uniform = (count: number, seed: number) => {
  const next = seededRandom(seed)
  return Float64Array.from({ length: count }, () => next() - 0.5)
}

describe('placed diagonals for a first convolution on client replicas', () => {
  it('Conv(1->5, k5, s2, p1) on 28x28: 25 diagonals, 8 rotations, every output at its corner slot', () => {
    const slotCount = 4096
    const geometry = convGeometry({
      inShape: [1, 28, 28],
      outChannels: 5,
      kernel: [5, 5],
      stride: [2, 2],
      pads: [1, 1, 1, 1],
    })
    expect(geometry.outShape).toEqual([5, 13, 13])
    const kernel = uniform(5 * 25, 1)
    const image = uniform(784, 2)
    const period = Math.floor(slotCount / 5)
    const lead = 28 + 1
    const layout = replicaLayout(784, slotCount, 5, period, lead)
    const contents = contentsOfInputLayout(layout)
    const anchors = [0, 1, 2, 3, 4].map((j) => j * period + lead)
    const outputs = placeWindowOutputs(geometry, { rowStep: 28, colStep: 1 }, anchors, [])
    const targets = contentsOfGrid(outputs, slotCount)
    const matrix = sparseRowsOf(convMatrix(geometry, kernel), 845, 784)
    const { diagonals, uncovered } = assignPlacedDiagonals({ matrix, contents, targets })
    expect(uncovered).toBe(0)
    expect(diagonals.size).toBe(25)
    expect([...diagonals.keys()].sort((a, b) => a - b)).toEqual(
      [0, 1, 2, 3, 4].flatMap((ky) => [0, 1, 2, 3, 4].map((kx) => 28 * ky + kx)),
    )
    const split = bestOffsetSplit(diagonals)
    expect(rotationsOfOffsetSplit(split)).toBe(8)
    expect(stepsOfOffsetSplit(split)).toEqual([1, 28])
    const slots = packByContents(contents, image)
    const result = applyOffsetSplit(split, slots)
    const direct = applyDiagonals(diagonals, slots)
    const expected = convolve(geometry, kernel, undefined, image)
    for (let s = 0; s < slotCount; s++) expect(result[s]).toBeCloseTo(direct[s], 12)
    let checked = 0
    for (let c = 0; c < 5; c++)
      for (let y = 0; y < 13; y++)
        for (let x = 0; x < 13; x++) {
          const slot = slotOf(outputs, c, y, x, slotCount)
          expect(result[slot]).toBeCloseTo(expected[(c * 13 + y) * 13 + x], 12)
          checked++
        }
    expect(checked).toBe(845)
    // Non-target slots hold exact zeros (no garbage for the next layer to avoid).
    for (let s = 0; s < slotCount; s++) if (targets[s] < 0) expect(result[s]).toBe(0)
  })
})

describe('a convolution on a ciphertext (LeNet second layer)', () => {
  it('pool by fold, then Conv(4->8, k5) on the pooled 14x14 grid: 2 shifts x 4 blocks x 25 taps', () => {
    const slotCount = 4096
    // Conv1 output: 4 channels of 28x28, dense rows, channel c at block c·1024.
    const conv1: GridPlacement = {
      shape: [4, 28, 28],
      channelBase: [0, 1024, 2048, 3072],
      rowStep: 28,
      colStep: 1,
    }
    const activations = uniform(4 * 784, 3)
    const slots = packByContents(contentsOfGrid(conv1, slotCount), activations)
    const { stages, pooled } = poolByFold(conv1, [2, 2])
    const pooledSlots = applyFold(stages, slots)
    const pooledValues = averagePool([4, 28, 28], 2, activations)
    for (let c = 0; c < 4; c++)
      for (let y = 0; y < 14; y++)
        for (let x = 0; x < 14; x++)
          expect(pooledSlots[slotOf(pooled, c, y, x, slotCount)] / 4).toBeCloseTo(
            pooledValues[(c * 14 + y) * 14 + x],
            12,
          )

    const geometry = convGeometry({ inShape: [4, 14, 14], outChannels: 8, kernel: [5, 5] })
    const kernel = uniform(8 * 4 * 25, 4)
    // Output channel co at block co mod 4, odd columns for co >= 4 (the pooled grid's gaps).
    const anchors = Array.from({ length: 8 }, (_, co) => pooled.channelBase[co % 4])
    const shifts = Array.from({ length: 8 }, (_, co) => (co >= 4 ? 1 : 0))
    const outputs = placeWindowOutputs(geometry, pooled, anchors, shifts)
    const matrix = sparseRowsOf(
      convMatrix(geometry, kernel).map((w) => w / 4),
      800,
      784,
    )
    const { diagonals, uncovered } = assignPlacedDiagonals({
      matrix,
      contents: contentsOfGrid(pooled, slotCount),
      targets: contentsOfGrid(outputs, slotCount),
    })
    expect(uncovered).toBe(0)
    expect(diagonals.size).toBe(200)
    const split = bestOffsetSplit(diagonals)
    expect(rotationsOfOffsetSplit(split)).toBeLessThanOrEqual(30)
    const result = applyOffsetSplit(split, pooledSlots)
    const expected = convolve(geometry, kernel, undefined, pooledValues)
    for (let c = 0; c < 8; c++)
      for (let y = 0; y < 10; y++)
        for (let x = 0; x < 10; x++)
          expect(result[slotOf(outputs, c, y, x, slotCount)]).toBeCloseTo(
            expected[(c * 10 + y) * 10 + x],
            10,
          )
  })

  it('composes window maps: AvgPool(2) then Conv(k5) reads a 10x10 window with stride 2', () => {
    const pool = {
      inShape: [4, 28, 28],
      outShape: [4, 14, 14],
      kernel: [2, 2],
      stride: [2, 2],
      pads: [0, 0, 0, 0],
    } as const
    const conv = convGeometry({
      inShape: [4, 14, 14],
      outChannels: 8,
      kernel: [5, 5],
      pads: [2, 2, 2, 2],
    })
    const composed = composeWindows(
      {
        ...pool,
        inShape: [4, 28, 28],
        outShape: [4, 14, 14],
        kernel: [2, 2],
        stride: [2, 2],
        pads: [0, 0, 0, 0],
      },
      conv,
    )
    expect(composed).toEqual({
      inShape: [4, 28, 28],
      outShape: [8, 14, 14],
      kernel: [10, 10],
      stride: [2, 2],
      pads: [4, 4, 4, 4],
    })
  })
})

describe('placed diagonals and offset BSGS on arbitrary layouts', () => {
  it('a random sparse matrix on shuffled, partly duplicated contents: every target slot gets W·x', () => {
    const slotCount = 256
    const next = seededRandom(42)
    const columns = 60
    const rows = 40
    const weights = Float64Array.from({ length: rows * columns }, () =>
      next() < 0.1 ? next() - 0.5 : 0,
    )
    // Each column once or twice, at random slots; each row at one random free slot.
    const order = Array.from({ length: slotCount }, (_, i) => i).sort(() => next() - 0.5)
    const contents = new Int32Array(slotCount).fill(-1)
    let cursor = 0
    for (let j = 0; j < columns; j++) {
      contents[order[cursor++]] = j
      if (next() < 0.5) contents[order[cursor++]] = j
    }
    const targets = new Int32Array(slotCount).fill(-1)
    const rowSlots = Array.from({ length: rows }, (_, i) => order[(cursor + 7 * i) % slotCount])
    rowSlots.forEach((slot, i) => (targets[slot] = i))
    const x = uniform(columns, 43)
    const slots = packByContents(contents, x)
    const { diagonals, uncovered } = assignPlacedDiagonals({
      matrix: sparseRowsOf(weights, rows, columns),
      contents,
      targets,
    })
    expect(uncovered).toBe(0)
    for (const r of diagonals.keys()) expect(Math.abs(r)).toBeLessThanOrEqual(slotCount / 2)
    const direct = applyDiagonals(diagonals, slots)
    const viaSplit = applyOffsetSplit(bestOffsetSplit(diagonals), slots)
    rowSlots.forEach((slot, i) => {
      let expected = 0
      for (let j = 0; j < columns; j++) expected += weights[i * columns + j] * x[j]
      expect(direct[slot]).toBeCloseTo(expected, 12)
      expect(viaSplit[slot]).toBeCloseTo(expected, 12)
    })
  })

  it('reports weights whose column the contents never hold', () => {
    const contents = Int32Array.from([0, 1, -1, -1])
    const targets = Int32Array.from([0, -1, -1, -1])
    const matrix = sparseRowsOf([1, 2, 3], 1, 3)
    expect(assignPlacedDiagonals({ matrix, contents, targets }).uncovered).toBe(1)
  })
})
