/**
 * PNG -> 28x28 MNIST-style input (Node only: pngjs). Steps, documented in docs/api.md:
 * 1. decode (any PNG colour type and bit depth; pngjs expands to 8-bit RGBA);
 * 2. grayscale: luminance 0.299 R + 0.587 G + 0.114 B, alpha-composited over white, scaled to [0, 1];
 * 3. polarity: MNIST digits are light on a dark background; if the image's border is mostly light
 *    (mean border intensity > 0.5), intensities are inverted (1 - v);
 * 4. resize to width x height (28 x 28) by area averaging (each output pixel is the mean of the
 *    source area it covers, with fractional weights), which handles up- and down-scaling;
 * 5. flatten row-major.
 */
import { PNG } from 'pngjs'
import { PrivinferError } from '../../core/errors.ts'
import { resizeByArea } from '../area-resample.ts'

export { resizeByArea }

/** Largest accepted image side, pixels (bounds memory and time). */
const MAX_SIDE = 4096

/**
 * Decodes a PNG and maps it to `width * height` intensities in [0, 1] (see the file comment).
 * @throws PrivinferError INPUT_INVALID for bytes that are not a PNG (another image format is named),
 *   a damaged PNG, or an image that is too large.
 */
export function pngToInput(bytes: Uint8Array, width = 28, height = 28): Float64Array {
  if (!hasPngSignature(bytes)) {
    const kind = imageKindOf(bytes)
    throw new PrivinferError(
      'INPUT_INVALID',
      kind === undefined
        ? 'not a PNG file (it does not start with the PNG signature)'
        : `a ${kind} file, not a PNG: convert it to PNG first`,
      kind === undefined ? {} : { format: kind },
    )
  }
  let image: PNG
  try {
    image = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
  } catch (error) {
    // pngjs's own messages ("There are some read requests waitng on finished stream") describe its
    // stream internals, not the file: name the likely cause and keep theirs as the cause.
    throw new PrivinferError(
      'INPUT_INVALID',
      `a damaged or truncated PNG file (${bytes.byteLength} bytes): it cannot be decoded`,
      {},
      { cause: error },
    )
  }
  if (
    image.width > MAX_SIDE ||
    image.height > MAX_SIDE ||
    image.width === 0 ||
    image.height === 0
  ) {
    throw new PrivinferError(
      'INPUT_INVALID',
      `image is ${image.width}x${image.height}; at most ${MAX_SIDE}x${MAX_SIDE}`,
    )
  }
  const gray = new Float64Array(image.width * image.height)
  for (let i = 0; i < gray.length; i++) {
    const r = image.data[4 * i]
    const g = image.data[4 * i + 1]
    const b = image.data[4 * i + 2]
    const alpha = image.data[4 * i + 3] / 255
    const luminance = (0.299 * r + 0.587 * g + 0.114 * b) / 255
    gray[i] = luminance * alpha + (1 - alpha)
  }
  if (borderMean(gray, image.width, image.height) > 0.5) {
    for (let i = 0; i < gray.length; i++) gray[i] = 1 - gray[i]
  }
  return resizeByArea(gray, image.width, image.height, width, height)
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]

function hasPngSignature(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && PNG_SIGNATURE.every((byte, i) => bytes[i] === byte)
}

/** Other common image formats, by their magic bytes, for a clearer message. */
function imageKindOf(bytes: Uint8Array): string | undefined {
  const starts = (...prefix: number[]) => prefix.every((byte, i) => bytes[i] === byte)
  if (starts(0xff, 0xd8, 0xff)) return 'JPEG'
  if (starts(0x47, 0x49, 0x46, 0x38)) return 'GIF'
  if (starts(0x42, 0x4d)) return 'BMP'
  if (starts(0x52, 0x49, 0x46, 0x46) && bytes[8] === 0x57 && bytes[9] === 0x45) return 'WebP'
  if (starts(0x49, 0x49, 0x2a, 0x00) || starts(0x4d, 0x4d, 0x00, 0x2a)) return 'TIFF'
  return undefined
}

function borderMean(gray: Float64Array, width: number, height: number): number {
  let sum = 0
  let count = 0
  for (let x = 0; x < width; x++) {
    sum += gray[x] + gray[(height - 1) * width + x]
    count += 2
  }
  for (let y = 0; y < height; y++) {
    sum += gray[y * width] + gray[y * width + width - 1]
    count += 2
  }
  return sum / count
}
