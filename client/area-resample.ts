/**
 * Area-averaging resampling of row-major single-channel images (pure; no I/O). Each output pixel is
 * the mean of the source area it covers, with fractional weights at the edges; source pixels are
 * constant over their unit square and the outside of the source counts as 0. Exact for any scale and
 * any fractional offset, so a translation moves an image's centre of mass by exactly that much.
 */

/** The source rectangle output pixel (0, 0) covers, and how far each output pixel steps in it. */
export interface SourceWindow {
  /** Source x (pixels, fractional) of output column 0's left edge. */
  x: number
  /** Source y of output row 0's top edge. */
  y: number
  /** Source pixels per output pixel, horizontally and vertically. */
  stepX: number
  stepY: number
}

/**
 * out[dy * width + dx] = mean of source over [x + dx stepX, x + (dx + 1) stepX) x [y + dy stepY, ...).
 * Cost: width * height * (stepX + 1) * (stepY + 1) multiply-adds.
 */
export function resampleByArea(
  source: ArrayLike<number>,
  sourceWidth: number,
  sourceHeight: number,
  window: SourceWindow,
  width: number,
  height: number,
): Float64Array {
  const out = new Float64Array(width * height)
  const area = window.stepX * window.stepY
  for (let dy = 0; dy < height; dy++) {
    const y0 = window.y + dy * window.stepY
    const y1 = y0 + window.stepY
    const rowStart = Math.max(0, Math.floor(y0))
    const rowEnd = Math.min(sourceHeight, Math.ceil(y1))
    for (let dx = 0; dx < width; dx++) {
      const x0 = window.x + dx * window.stepX
      const x1 = x0 + window.stepX
      const colStart = Math.max(0, Math.floor(x0))
      const colEnd = Math.min(sourceWidth, Math.ceil(x1))
      let sum = 0
      for (let sy = rowStart; sy < rowEnd; sy++) {
        const wy = Math.min(y1, sy + 1) - Math.max(y0, sy)
        for (let sx = colStart; sx < colEnd; sx++) {
          const wx = Math.min(x1, sx + 1) - Math.max(x0, sx)
          sum += source[sy * sourceWidth + sx] * wx * wy
        }
      }
      out[dy * width + dx] = sum / area
    }
  }
  return out
}

/** Resizes a whole image to width x height (up or down) by area averaging. */
export function resizeByArea(
  source: ArrayLike<number>,
  sourceWidth: number,
  sourceHeight: number,
  width: number,
  height: number,
): Float64Array {
  return resampleByArea(
    source,
    sourceWidth,
    sourceHeight,
    { x: 0, y: 0, stepX: sourceWidth / width, stepY: sourceHeight / height },
    width,
    height,
  )
}
