/**
 * Grid placements: where a C×H×W tensor sits in the CKKS slots. Element (c, y, x) (flat index
 * c·H·W + y·W + x) is at slot (channelBase[c] + y·rowStep + x·colStep) mod slotCount. Channels may
 * interleave (multiplexed packing, Lee et al. 2022, eprint 2106.12130): a strided convolution leaves
 * gaps in its output grid that other channels fill.
 *
 * The layout code of a window map (window-geometry.ts) places output (co, oy, ox) at the slot of its
 * window's corner (ci = 0, oy·sh − pt, ox·sw − pl) in the input channel block assigned to co, plus
 * a per-channel shift. Tap (ci, ky, kx) then reads from a fixed offset
 *   r = (base(ci) − anchor(co)) + ky·rowStep + kx·colStep,
 * the same for every output pixel: one diagonal per (tap, base difference).
 */
import { EMPTY } from './slot-contents.ts'
import type { FoldStage } from './fold.ts'
import type { WindowGeometry } from './window-geometry.ts'

export interface GridPlacement {
  shape: [number, number, number]
  channelBase: number[]
  rowStep: number
  colStep: number
}

/** Slot of element (c, y, x), wrapped into [0, slotCount). */
export function slotOf(
  placement: GridPlacement,
  c: number,
  y: number,
  x: number,
  slotCount: number,
): number {
  const s = placement.channelBase[c] + y * placement.rowStep + x * placement.colStep
  return ((s % slotCount) + slotCount) % slotCount
}

/**
 * Slot -> flat element index (EMPTY elsewhere).
 * @throws RangeError when two elements share a slot (the placement is not injective).
 */
export function contentsOfGrid(placement: GridPlacement, slotCount: number): Int32Array {
  const contents = new Int32Array(slotCount).fill(EMPTY)
  const [channels, height, width] = placement.shape
  for (let c = 0; c < channels; c++)
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        const slot = slotOf(placement, c, y, x, slotCount)
        if (contents[slot] !== EMPTY)
          throw new RangeError(`grid placement puts two elements in slot ${slot}`)
        contents[slot] = (c * height + y) * width + x
      }
  return contents
}

/** True when the placement is injective within slotCount slots. */
export function isInjective(placement: GridPlacement, slotCount: number): boolean {
  try {
    contentsOfGrid(placement, slotCount)
    return true
  } catch {
    return false
  }
}

/**
 * Places the outputs of a window map: channel co on the corner grid of the input block whose
 * channel 0 sits at `anchorBase[co]`, shifted by `shift[co]` slots. Output rows and columns step
 * by the input's steps times the window stride.
 */
export function placeWindowOutputs(
  window: WindowGeometry,
  inputSteps: { rowStep: number; colStep: number },
  anchorBase: readonly number[],
  shift: readonly number[],
): GridPlacement {
  const [pt, pl] = window.pads
  const { rowStep, colStep } = inputSteps
  const channelBase: number[] = []
  for (let co = 0; co < window.outShape[0]; co++)
    channelBase.push(anchorBase[co] - pt * rowStep - pl * colStep + (shift[co] ?? 0))
  return {
    shape: [...window.outShape],
    channelBase,
    rowStep: rowStep * window.stride[0],
    colStep: colStep * window.stride[1],
  }
}

/**
 * Average pooling (kernel = stride, no padding) as rotate-and-add on a grid: stages {colStep, kw}
 * then {rowStep, kh} leave at each window corner the window's sum (kh·kw times the mean; the factor
 * goes into the next linear map). Returns the fold and the placement of the pooled tensor.
 */
export function poolByFold(
  input: GridPlacement,
  kernel: [number, number],
): { stages: FoldStage[]; pooled: GridPlacement } {
  const [channels, height, width] = input.shape
  const [kh, kw] = kernel
  const stages: FoldStage[] = []
  if (kw > 1) stages.push({ step: input.colStep, radix: kw })
  if (kh > 1) stages.push({ step: input.rowStep, radix: kh })
  return {
    stages,
    pooled: {
      shape: [channels, Math.floor(height / kh), Math.floor(width / kw)],
      channelBase: [...input.channelBase],
      rowStep: input.rowStep * kh,
      colStep: input.colStep * kw,
    },
  }
}
