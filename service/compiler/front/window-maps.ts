/**
 * Dense matrices of window maps on NCHW tensors (batch 1, flattened row-major): convolution
 * (group 1, dilation 1), average pooling, per-channel affine maps (BatchNormalization). The ONNX
 * front end composes them with their neighbours; the window geometry rides along
 * (core/layout/window-geometry.ts) so the lowering can place outputs on their window corners.
 */
import type { WindowGeometry } from '../../../core/layout/window-geometry.ts'

export interface WindowMap {
  geometry: WindowGeometry
  /** Row-major (outputs x inputs). */
  weights: Float64Array
  /** One value per output element. */
  bias: Float64Array
}

/**
 * Convolution with kernel [co][ci][kh][kw] (ONNX Conv W) and optional bias [co]; zero padding.
 * Output element (co, oy, ox) sums kernel[co][ci][ky][kx] · x[ci][oy·sh − pt + ky][ox·sw − pl + kx]
 * over the taps inside the input.
 */
export function convolutionMap(
  geometry: WindowGeometry,
  kernel: ArrayLike<number>,
  bias?: ArrayLike<number>,
): WindowMap {
  const [inChannels, height, width] = geometry.inShape
  const [outChannels, outHeight, outWidth] = geometry.outShape
  const [kh, kw] = geometry.kernel
  const [sh, sw] = geometry.stride
  const [pt, pl] = geometry.pads
  const columns = inChannels * height * width
  const rows = outChannels * outHeight * outWidth
  const weights = new Float64Array(rows * columns)
  const outBias = new Float64Array(rows)
  for (let co = 0; co < outChannels; co++) {
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        const row = (co * outHeight + oy) * outWidth + ox
        outBias[row] = bias?.[co] ?? 0
        for (let ci = 0; ci < inChannels; ci++) {
          for (let ky = 0; ky < kh; ky++) {
            const y = oy * sh - pt + ky
            if (y < 0 || y >= height) continue
            for (let kx = 0; kx < kw; kx++) {
              const x = ox * sw - pl + kx
              if (x < 0 || x >= width) continue
              weights[row * columns + (ci * height + y) * width + x] +=
                kernel[((co * inChannels + ci) * kh + ky) * kw + kx]
            }
          }
        }
      }
    }
  }
  return { geometry, weights, bias: outBias }
}

/**
 * Average pooling per channel. With countIncludePad (ONNX default 0, torch's AvgPool2d default
 * exports it as an explicit Pad before the pool) padded positions count in the divisor.
 */
export function averagePoolMap(geometry: WindowGeometry, countIncludePad: boolean): WindowMap {
  const [channels, height, width] = geometry.inShape
  const [, outHeight, outWidth] = geometry.outShape
  const [kh, kw] = geometry.kernel
  const [sh, sw] = geometry.stride
  const [pt, pl] = geometry.pads
  const columns = channels * height * width
  const rows = channels * outHeight * outWidth
  const weights = new Float64Array(rows * columns)
  for (let c = 0; c < channels; c++) {
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        const row = (c * outHeight + oy) * outWidth + ox
        const inside: number[] = []
        let windowCount = 0
        for (let ky = 0; ky < kh; ky++) {
          const y = oy * sh - pt + ky
          for (let kx = 0; kx < kw; kx++) {
            const x = ox * sw - pl + kx
            // ONNX counts the padded positions only inside the padded extent.
            if (
              y < -pt ||
              y >= height + geometry.pads[2] ||
              x < -pl ||
              x >= width + geometry.pads[3]
            )
              continue
            windowCount++
            if (y >= 0 && y < height && x >= 0 && x < width)
              inside.push((c * height + y) * width + x)
          }
        }
        const divisor = countIncludePad ? windowCount : inside.length
        for (const column of inside) weights[row * columns + column] = 1 / divisor
      }
    }
  }
  return { geometry, weights, bias: new Float64Array(rows) }
}
