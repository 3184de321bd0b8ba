/**
 * Plain NCHW convolution and average pooling on arrays (batch 1): the test oracle for the layout
 * math and the importer, written independently of service/compiler.
 */
import type { WindowGeometry } from '../../core/layout/window-geometry.ts'
import { windowOutputSize } from '../../core/layout/window-geometry.ts'

export interface ConvSpec {
  inShape: [number, number, number]
  outChannels: number
  kernel: [number, number]
  stride?: [number, number]
  /** [top, left, bottom, right]. */
  pads?: [number, number, number, number]
}

export function convGeometry(spec: ConvSpec): WindowGeometry {
  const stride = spec.stride ?? [1, 1]
  const pads = spec.pads ?? [0, 0, 0, 0]
  const [, height, width] = spec.inShape
  return {
    inShape: spec.inShape,
    outShape: [
      spec.outChannels,
      windowOutputSize(height, spec.kernel[0], stride[0], pads[0], pads[2]),
      windowOutputSize(width, spec.kernel[1], stride[1], pads[1], pads[3]),
    ],
    kernel: spec.kernel,
    stride,
    pads,
  }
}

/** Dense row-major matrix (outputs x inputs) of a convolution with kernel [co][ci][ky][kx]. */
export function convMatrix(geometry: WindowGeometry, kernel: ArrayLike<number>): Float64Array {
  const [ci, h, w] = geometry.inShape
  const [co, oh, ow] = geometry.outShape
  const [kh, kw] = geometry.kernel
  const [sh, sw] = geometry.stride
  const [pt, pl] = geometry.pads
  const columns = ci * h * w
  const matrix = new Float64Array(co * oh * ow * columns)
  for (let o = 0; o < co; o++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++) {
        const row = (o * oh + oy) * ow + ox
        for (let c = 0; c < ci; c++)
          for (let ky = 0; ky < kh; ky++)
            for (let kx = 0; kx < kw; kx++) {
              const y = oy * sh - pt + ky
              const x = ox * sw - pl + kx
              if (y < 0 || y >= h || x < 0 || x >= w) continue
              matrix[row * columns + (c * h + y) * w + x] +=
                kernel[((o * ci + c) * kh + ky) * kw + kx]
            }
      }
  return matrix
}

/** Direct convolution (no matrix), for checking convMatrix itself and the HE results. */
export function convolve(
  geometry: WindowGeometry,
  kernel: ArrayLike<number>,
  bias: ArrayLike<number> | undefined,
  input: ArrayLike<number>,
): Float64Array {
  const [ci, h, w] = geometry.inShape
  const [co, oh, ow] = geometry.outShape
  const [kh, kw] = geometry.kernel
  const [sh, sw] = geometry.stride
  const [pt, pl] = geometry.pads
  const out = new Float64Array(co * oh * ow)
  for (let o = 0; o < co; o++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++) {
        let sum = bias?.[o] ?? 0
        for (let c = 0; c < ci; c++)
          for (let ky = 0; ky < kh; ky++)
            for (let kx = 0; kx < kw; kx++) {
              const y = oy * sh - pt + ky
              const x = ox * sw - pl + kx
              if (y >= 0 && y < h && x >= 0 && x < w)
                sum += kernel[((o * ci + c) * kh + ky) * kw + kx] * input[(c * h + y) * w + x]
            }
        out[(o * oh + oy) * ow + ox] = sum
      }
  return out
}

/** Average pooling with kernel = stride (no padding) on a C×H×W tensor. */
export function averagePool(
  shape: [number, number, number],
  size: number,
  input: ArrayLike<number>,
): Float64Array {
  const [c, h, w] = shape
  const oh = Math.floor(h / size)
  const ow = Math.floor(w / size)
  const out = new Float64Array(c * oh * ow)
  for (let ch = 0; ch < c; ch++)
    for (let y = 0; y < oh; y++)
      for (let x = 0; x < ow; x++) {
        let sum = 0
        for (let a = 0; a < size; a++)
          for (let b = 0; b < size; b++) sum += input[(ch * h + y * size + a) * w + x * size + b]
        out[(ch * oh + y) * ow + x] = sum / (size * size)
      }
  return out
}
