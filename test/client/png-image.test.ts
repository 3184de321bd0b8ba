import { describe, expect, it } from 'vitest'
import { PNG } from 'pngjs'
import { pngToInput, resizeByArea } from '../../client/node/png-image.ts'
import { isPrivinferError } from '../../core/errors.ts'

function png(
  width: number,
  height: number,
  pixel: (x: number, y: number) => [number, number, number, number],
): Uint8Array {
  const image = new PNG({ width, height })
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) image.data.set(pixel(x, y), 4 * (y * width + x))
  }
  return new Uint8Array(PNG.sync.write(image))
}

describe('pngToInput', () => {
  it('keeps a white-on-black 28x28 image as intensities in [0, 1]', () => {
    const input = pngToInput(
      png(28, 28, (x, y) => (x === 5 && y === 7 ? [255, 255, 255, 255] : [0, 0, 0, 255])),
    )
    expect(input.length).toBe(784)
    expect(input[7 * 28 + 5]).toBeCloseTo(1, 6)
    expect(input.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6)
  })

  it('inverts a dark digit on a light background and resizes 56x56 to 28x28 by area averaging', () => {
    // A black 2x2 square at (10..11, 20..21) on white: one output pixel (5, 10) fully dark -> 1 after inversion.
    const input = pngToInput(
      png(56, 56, (x, y) =>
        x >= 10 && x < 12 && y >= 20 && y < 22 ? [0, 0, 0, 255] : [255, 255, 255, 255],
      ),
    )
    expect(input[10 * 28 + 5]).toBeCloseTo(1, 6)
    expect(input[0]).toBeCloseTo(0, 6)
  })

  it('rejects bytes that are not a PNG with INPUT_INVALID', () => {
    try {
      pngToInput(Uint8Array.from([1, 2, 3]))
      expect.unreachable()
    } catch (error) {
      expect(isPrivinferError(error) && error.code).toBe('INPUT_INVALID')
    }
  })
})

describe('resizeByArea', () => {
  it('averages areas when shrinking and replicates when enlarging', () => {
    expect(Array.from(resizeByArea(Float64Array.from([0, 1, 1, 0]), 2, 2, 1, 1))).toEqual([0.5])
    expect(Array.from(resizeByArea(Float64Array.from([0.25]), 1, 1, 2, 2))).toEqual([
      0.25, 0.25, 0.25, 0.25,
    ])
  })
})
