import { describe, expect, it } from 'vitest'
import { replicaLayout } from '../../../core/layout/input-layouts.ts'
import {
  contentsOfGrid,
  placeWindowOutputs,
  poolByFold,
  slotOf,
  type GridPlacement,
} from '../../../core/layout/grid-placement.ts'
import {
  applySignedDiagonals,
  assignPlacedDiagonals,
} from '../../../core/layout/placed-diagonals.ts'
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
    const direct = applySignedDiagonals(diagonals, slots)
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
