/**
 * Lowering of window maps (convolutions, with BatchNorm, bias and average pooling folded in) to
 * placed-output diagonal products (DESIGN.md §Packing, "convolutions"; docs/design.md §Convolutions).
 *
 * - The first convolution reads client replicas (core/layout/input-layouts.ts replicaLayout): one
 *   copy of the input per output channel group, so every kernel tap is one rotation shared by all
 *   channels. Output (co, oy, ox) is placed at its window corner in the copy of its group
 *   (core/layout/grid-placement.ts); channel groups beyond the copies interleave into the gaps a
 *   strided output grid leaves (multiplexed packing).
 * - A convolution on a ciphertext reads the grid its predecessor left: output channel co is anchored
 *   on input channel co mod Cin's block, so the diagonals are (taps) x (distinct block differences),
 *   which stays Cin x taps for equally spaced cyclic blocks.
 * - Average pooling (kernel = stride, no padding) right before a convolution is a fold on the grid
 *   (rotations and additions, no level); its 1/k² goes into the convolution's weights.
 * The diagonal cover is generic (core/layout/placed-diagonals.ts) and checked (every weight supplied
 * exactly once), so a layout choice can cost rotations but never correctness.
 */
import type { InputLayout } from '../../core/card.ts'
import {
  contentsOfGrid,
  isInjective,
  placeWindowOutputs,
  poolByFold,
  type GridPlacement,
} from '../../core/layout/grid-placement.ts'
import { replicaLayout } from '../../core/layout/input-layouts.ts'
import {
  bestOffsetSplit,
  rotationsOfOffsetSplit,
  type OffsetSplit,
} from '../../core/layout/offset-baby-giant.ts'
import { assignPlacedDiagonals } from '../../core/layout/placed-diagonals.ts'
import { contentsOfInputLayout } from '../../core/layout/slot-contents.ts'
import { sparseRowsOf } from '../../core/layout/sparse-rows.ts'
import type { FoldStage } from '../../core/layout/fold.ts'
import type { WindowGeometry } from '../../core/layout/window-geometry.ts'
import { PrivinferError } from '../../core/errors.ts'
import { SlotsExceededError } from './slots-exceeded-error.ts'
import type { DenseStep } from './step-ir.ts'

export interface PlacedProduct {
  /** Where the outputs are (and so the next layer's input). */
  outputs: GridPlacement
  outputContents: Int32Array
  split: OffsetSplit
  diagonals: number
  description: string
}

export interface FirstWindowLowering extends PlacedProduct {
  layout: InputLayout
}

/**
 * Shifts for output channel groups 1.. so that the whole output placement stays injective: the
 * smallest shifts first (they fit the baby steps). Undefined when some group finds no room.
 */
function placeGroups(
  window: WindowGeometry,
  steps: { rowStep: number; colStep: number },
  anchorOf: (co: number) => number,
  groupOf: (co: number) => number,
  slotCount: number,
  maxShift: number,
): GridPlacement | undefined {
  const channels = window.outShape[0]
  const groups = Math.max(...Array.from({ length: channels }, (_, co) => groupOf(co))) + 1
  const anchors = Array.from({ length: channels }, (_, co) => anchorOf(co))
  const shifts = new Array<number>(channels).fill(0)
  for (let group = 1; group < groups; group++) {
    let placed = false
    for (let shift = 1; shift <= maxShift && !placed; shift++) {
      const trial = shifts.map((value, co) => (groupOf(co) === group ? shift : value))
      const members = Array.from({ length: channels }, (_, co) => co).filter(
        (co) => groupOf(co) <= group,
      )
      const partial = placeWindowOutputs(
        { ...window, outShape: [members.length, window.outShape[1], window.outShape[2]] },
        steps,
        members.map((co) => anchors[co]),
        members.map((co) => trial[co]),
      )
      if (isInjective(partial, slotCount)) {
        shifts.splice(0, shifts.length, ...trial)
        placed = true
      }
    }
    if (!placed) return undefined
  }
  const outputs = placeWindowOutputs(window, steps, anchors, shifts)
  return isInjective(outputs, slotCount) ? outputs : undefined
}

function placedProduct(
  step: DenseStep,
  window: WindowGeometry,
  contents: Int32Array,
  outputs: GridPlacement,
  what: string,
): PlacedProduct {
  const slotCount = contents.length
  const weights = step.weights
  const outputContents = contentsOfGrid(outputs, slotCount)
  const { diagonals, uncovered } = assignPlacedDiagonals({
    matrix: sparseRowsOf(weights, step.rows, step.columns),
    contents,
    targets: outputContents,
  })
  if (uncovered > 0) {
    throw new PrivinferError(
      'PLAN_INVALID',
      `${step.name}: ${uncovered} weights read inputs that the ciphertext does not hold`,
    )
  }
  const split = bestOffsetSplit(diagonals)
  const [co, oh, ow] = window.outShape
  return {
    outputs,
    outputContents,
    split,
    diagonals: diagonals.size,
    description:
      `${step.name}: window map to ${co}x${oh}x${ow} on ${what}, ${diagonals.size} diagonals, ` +
      `${rotationsOfOffsetSplit(split)} rotations (baby ${split.maxBaby} x ${split.babyStep}, ` +
      `${split.groups.length} giant offsets)`,
  }
}

/**
 * The first window map of a model: client replicas of the input, as many as the output channels
 * need (at most what the slots hold), and the placed product.
 * @throws PrivinferError PLAN_INVALID when one copy of the input and its padding do not fit.
 */
export function lowerFirstWindow(step: DenseStep, slotCount: number): FirstWindowLowering {
  const window = step.window!
  const [channels, height, width] = window.inShape
  const inputSize = channels * height * width
  const [pt, pl] = window.pads
  const lead = pt * width + pl
  const span = lead + inputSize
  if (span > slotCount) {
    throw new SlotsExceededError(
      `${step.name}: the input (${inputSize} values with padding ${lead}) does not fit ${slotCount} slots`,
    )
  }
  const outChannels = window.outShape[0]
  const candidates: FirstWindowLowering[] = []
  for (
    let replicas = Math.min(outChannels, Math.floor(slotCount / span));
    replicas >= 1;
    replicas--
  ) {
    // Equally spaced power-of-two periods keep the blocks cyclic for a following convolution.
    let period = Math.floor(slotCount / replicas)
    if (slotCount % replicas === 0 && (replicas & (replicas - 1)) === 0)
      period = slotCount / replicas
    const layout = replicaLayout(inputSize, slotCount, replicas, period, lead)
    const outputs = placeGroups(
      window,
      { rowStep: width, colStep: 1 },
      (co) => (co % replicas) * period + lead,
      (co) => Math.floor(co / replicas),
      slotCount,
      period,
    )
    if (outputs === undefined) continue
    const product = placedProduct(
      step,
      window,
      contentsOfInputLayout(layout),
      outputs,
      `${replicas} client copies of the input (period ${period}, lead ${lead})`,
    )
    candidates.push({ ...product, layout })
    // More copies only help while every group still fits; the first that fits is the widest.
    break
  }
  if (candidates.length === 0) {
    throw new SlotsExceededError(
      `${step.name}: the ${outChannels} output channels of the window map do not fit ${slotCount} slots`,
    )
  }
  return candidates[0]
}

/**
 * A window map on a ciphertext whose values sit on `input` (a grid). Output channel co is anchored
 * on input channel co mod Cin. Undefined when the outputs do not fit the slots.
 */
export function lowerWindowOnGrid(
  step: DenseStep,
  input: GridPlacement,
  slotCount: number,
): PlacedProduct | undefined {
  const window = step.window!
  const inChannels = window.inShape[0]
  const outputs = placeGroups(
    window,
    input,
    (co) => input.channelBase[co % inChannels],
    (co) => Math.floor(co / inChannels),
    slotCount,
    Math.max(input.rowStep * window.stride[0], input.colStep * window.stride[1]) * 4,
  )
  if (outputs === undefined) return undefined
  return placedProduct(
    step,
    window,
    contentsOfGrid(input, slotCount),
    outputs,
    `the ${input.shape.join('x')} grid (steps ${input.rowStep}, ${input.colStep})`,
  )
}

/**
 * An average-pool step (kernel = stride, no padding) on a grid as a fold, or undefined when the
 * step is not such a pool of that grid.
 */
export function poolStepOnGrid(
  step: DenseStep,
  input: GridPlacement,
): { stages: FoldStage[]; pooled: GridPlacement; sumFactor: number } | undefined {
  const window = step.window
  if (!step.averagePool || window === undefined) return undefined
  const [kh, kw] = window.kernel
  if (
    window.stride[0] !== kh ||
    window.stride[1] !== kw ||
    window.pads.some((pad) => pad !== 0) ||
    window.inShape.join() !== input.shape.join()
  )
    return undefined
  const { stages, pooled } = poolByFold(input, [kh, kw])
  if (pooled.shape.join() !== window.outShape.join()) return undefined
  if (!isPlainAveragePool(step, window)) return undefined
  return { stages, pooled, sumFactor: kh * kw }
}

/**
 * The fold computes window sums whatever the weights say, so the step must really be the plain
 * average pool of its window (every row 1/(kh·kw) on its window, zero bias), checked here.
 */
function isPlainAveragePool(step: DenseStep, window: WindowGeometry): boolean {
  const [channels, height, width] = window.inShape
  const [, outHeight, outWidth] = window.outShape
  const [kh, kw] = window.kernel
  const weight = 1 / (kh * kw)
  if (step.bias.some((value) => value !== 0)) return false
  let nonZeros = 0
  for (const value of step.weights) if (value !== 0) nonZeros++
  if (nonZeros !== step.rows * kh * kw) return false
  for (let c = 0; c < channels; c++)
    for (let oy = 0; oy < outHeight; oy++)
      for (let ox = 0; ox < outWidth; ox++) {
        const row = (c * outHeight + oy) * outWidth + ox
        for (let a = 0; a < kh; a++)
          for (let b = 0; b < kw; b++) {
            const column = (c * height + oy * kh + a) * width + ox * kw + b
            if (Math.abs(step.weights[row * step.columns + column] - weight) > 1e-12 * weight)
              return false
          }
      }
  return true
}
