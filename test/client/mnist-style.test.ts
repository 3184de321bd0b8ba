/**
 * MNIST-style normalization of drawings (client/mnist-style.ts): geometry on synthetic images, and
 * accuracy on real held-out MNIST digits through the served mnist-dp model (onnxruntime, plaintext):
 * it must not hurt digits that are already MNIST-style, and must rescue digits drawn small and off
 * centre (the demo page's case).
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { preprocessInput } from '../../client/preprocess.ts'
import { resampleByArea, resizeByArea } from '../../client/area-resample.ts'
import { centreOfMass, inkBox, mnistStyleDigit } from '../../client/mnist-style.ts'
import type { ModelCard } from '../../core/card.ts'
import { createPlainModel, type PlainModel } from '../../service/plain/onnx-runtime.ts'
import { loadMnist } from '../../training/data/mnist.ts'

describe('mnistStyleDigit on synthetic images', () => {
  it('scales the bounding box to 20 pixels and puts the centre of mass at (14, 14)', () => {
    // A 60x30 bar in the top-left corner of a 280x280 canvas.
    const canvas = new Float64Array(280 * 280)
    for (let y = 10; y < 40; y++) for (let x = 5; x < 65; x++) canvas[y * 280 + x] = 1
    const digit = mnistStyleDigit(canvas, 280, 280)!
    const box = inkBox(digit, 28, 28)!
    expect(box.x1 - box.x0).toBe(20)
    expect(box.y1 - box.y0).toBe(10)
    const mass = centreOfMass(digit, 28, 28)!
    expect(mass.x).toBeCloseTo(14, 9)
    expect(mass.y).toBeCloseTo(14, 9)
    // Area averaging keeps the ink: 60x30 source pixels at (1/3)^2 each.
    expect(digit.reduce((sum, v) => sum + v, 0)).toBeCloseTo((60 * 30) / 9, 6)
  })

  it('returns undefined for a blank canvas (nothing to predict)', () => {
    expect(mnistStyleDigit(new Float64Array(280 * 280), 280, 280)).toBeUndefined()
    expect(mnistStyleDigit(new Float64Array(784).fill(0.05), 28, 28)).toBeUndefined()
  })

  it('resizeByArea and resampleByArea agree on a whole-image resize', () => {
    const image = Float64Array.from({ length: 56 * 56 }, (_, i) => ((i * 7919) % 13) / 13)
    expect(Array.from(resizeByArea(image, 56, 56, 28, 28))).toEqual(
      Array.from(resampleByArea(image, 56, 56, { x: 0, y: 0, stepX: 2, stepY: 2 }, 28, 28)),
    )
  })
})

describe('mnistStyleDigit on real held-out MNIST digits (mnist-dp, plaintext)', () => {
  const COUNT = 300
  let model: PlainModel
  let card: ModelCard
  let digits: Float64Array[]
  let labels: number[]
  beforeAll(async () => {
    card = JSON.parse(await readFile('models/mnist-dp/card.json', 'utf8')) as ModelCard
    model = await createPlainModel(
      new Uint8Array(await readFile(join('models/mnist-dp/model.onnx'))),
    )
    const { indices } = JSON.parse(await readFile('models/mnist-dp/test-indices.json', 'utf8')) as {
      indices: number[]
    }
    const mnist = loadMnist()
    const rows = indices.slice(0, COUNT)
    digits = rows.map((row) => Float64Array.from(mnist.inputs.subarray(row * 784, (row + 1) * 784)))
    labels = rows.map((row) => mnist.labels[row])
  })
  afterAll(async () => {
    await model?.close()
  })

  async function accuracy(images: Float64Array[]): Promise<number> {
    const outputs = await model.run(
      images.map((image) => preprocessInput(card.input.preprocessing, image, 784)),
    )
    let correct = 0
    outputs.forEach((logits, i) => {
      if (logits.indexOf(Math.max(...logits)) === labels[i]) correct++
    })
    return correct / images.length
  }

  /** A digit as the demo's 280x280 pad shows it (each pixel a 10x10 block). */
  const onPad = (digit: Float64Array) => {
    const pad = new Float64Array(280 * 280)
    for (let y = 0; y < 280; y++)
      for (let x = 0; x < 280; x++)
        pad[y * 280 + x] = digit[Math.floor(y / 10) * 28 + Math.floor(x / 10)]
    return pad
  }

  /** The digit drawn at 12x12 in the top-left corner of a 28x28 field (what a user might draw). */
  const smallInCorner = (digit: Float64Array) => {
    const small = resizeByArea(digit, 28, 28, 12, 12)
    const field = new Float64Array(784)
    for (let y = 0; y < 12; y++)
      for (let x = 0; x < 12; x++) field[(y + 1) * 28 + x + 1] = small[y * 12 + x]
    return field
  }

  it('keeps the accuracy of digits that are MNIST-style already (within 0.5 points)', async () => {
    const raw = await accuracy(digits)
    const normalized = await accuracy(
      digits.map((digit) => mnistStyleDigit(onPad(digit), 280, 280)!),
    )
    expect(raw).toBeGreaterThan(0.85)
    expect(normalized).toBeGreaterThanOrEqual(raw - 0.005)
  })

  it('rescues digits drawn small and off centre', async () => {
    const raw = await accuracy(digits)
    const cornered = digits.map(smallInCorner)
    const unnormalized = await accuracy(cornered)
    const normalized = await accuracy(cornered.map((image) => mnistStyleDigit(image, 28, 28)!))
    expect(unnormalized).toBeLessThan(0.4)
    expect(normalized).toBeGreaterThan(raw - 0.1)
  })
})
