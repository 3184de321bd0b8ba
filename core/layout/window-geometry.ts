/**
 * Window geometry of a linear map on C×H×W tensors (NCHW without the batch): output (co, oy, ox)
 * reads only inputs (ci, oy·sh − pt + [0, kh), ox·sw − pl + [0, kw)). Convolutions, average
 * pooling, BatchNorm (a 1x1 window) and their compositions have one; the layout code uses it to
 * put each output on the slot grid of its window's corner, which makes every kernel tap one
 * rotation (core/layout/grid-placement.ts).
 */

export interface WindowGeometry {
  /** [channels, height, width] of the input and the output. */
  inShape: [number, number, number]
  outShape: [number, number, number]
  kernel: [number, number]
  stride: [number, number]
  /** [top, left, bottom, right] (ONNX order is [top, left, bottom, right] for 2-D pads). */
  pads: [number, number, number, number]
}

/** Output height/width of a window map: floor((in + pads − kernel) / stride) + 1. */
export function windowOutputSize(
  inSize: number,
  kernel: number,
  stride: number,
  padBefore: number,
  padAfter: number,
): number {
  return Math.floor((inSize + padBefore + padAfter - kernel) / stride) + 1
}

/** Geometry of a convolution or pooling window on an input of shape [C, H, W]. */
export function windowGeometry(
  inShape: [number, number, number],
  outChannels: number,
  kernel: [number, number],
  stride: [number, number],
  pads: [number, number, number, number],
): WindowGeometry {
  return {
    inShape,
    outShape: [
      outChannels,
      windowOutputSize(inShape[1], kernel[0], stride[0], pads[0], pads[2]),
      windowOutputSize(inShape[2], kernel[1], stride[1], pads[1], pads[3]),
    ],
    kernel,
    stride,
    pads,
  }
}

/**
 * second ∘ first as one window map: stride s1·s2, kernel k1 + (k2 − 1)·s1, pads p1 + p2·s1 (before)
 * and the after-pads that keep the output size of `second`.
 * @throws RangeError when first's output shape is not second's input shape.
 */
export function composeWindows(first: WindowGeometry, second: WindowGeometry): WindowGeometry {
  if (first.outShape.join() !== second.inShape.join())
    throw new RangeError(`window maps do not chain: [${first.outShape}] into [${second.inShape}]`)
  const axis = (i: 0 | 1) => {
    const s1 = first.stride[i]
    const kernel = first.kernel[i] + (second.kernel[i] - 1) * s1
    const stride = s1 * second.stride[i]
    const before = first.pads[i] + second.pads[i] * s1
    const inSize = first.inShape[i + 1]
    const outSize = second.outShape[i + 1]
    // Smallest after-pad that yields outSize outputs (the reads past it are never used).
    const after = Math.max(0, (outSize - 1) * stride + kernel - inSize - before)
    return { kernel, stride, before, after }
  }
  const y = axis(0)
  const x = axis(1)
  return {
    inShape: [...first.inShape],
    outShape: [...second.outShape],
    kernel: [y.kernel, x.kernel],
    stride: [y.stride, x.stride],
    pads: [y.before, x.before, y.after, x.after],
  }
}
