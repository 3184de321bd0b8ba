/**
 * Convolutions under real encryption (node-seal, N=8192, 128-bit): the compiled conv fixtures agree
 * with the float64 model within toleranceFor on a few committed Fashion-MNIST images and with
 * onnxruntime on the argmax; the Galois keys stay within the model's budget.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { compileModel } from '../../../service/compiler/compile.ts'
import { evaluateLayerModel } from '../../../service/compiler/evaluate-layer-model.ts'
import { measureRanges } from '../../../service/compiler/measure-ranges.ts'
import { toleranceFor } from '../../../service/compiler/tolerance.ts'
import { createPlainModel } from '../../../service/plain/onnx-runtime.ts'
import {
  createLocalRoundTrip,
  type LocalRoundTrip,
} from '../../../service/runtime/seal/local-round-trip.ts'
import { argmax } from '../../../core/math/argmax.ts'
import { fashionSample, torchFixtureBytes } from '../../support/torch-fixtures.ts'

const MB = 1024 * 1024
const sample = fashionSample()

describe.each([
  ['conv-square-gemm', 10 * MB],
  ['lenet-square', 32 * MB],
])('%s under node-seal', (name, keyBudget) => {
  let roundTrip: LocalRoundTrip | undefined
  afterAll(() => roundTrip?.delete())

  it('matches float64 within the tolerance and onnxruntime on the argmax for 2 images', async () => {
    const bytes = torchFixtureBytes(name)
    const compiled = compileModel(bytes, { calibration: sample.images.slice(8, 24) })
    roundTrip = await createLocalRoundTrip(compiled)
    const images = sample.images.slice(0, 2)
    const tolerance = toleranceFor(
      compiled.parameters,
      compiled.plan,
      measureRanges(compiled.plan, images),
      roundTrip.ctx.primes,
    )
    const plain = await createPlainModel(bytes)
    const reference = await plain.run(images)
    await plain.close()
    images.forEach((image, i) => {
      const { outputs } = roundTrip!.query(image)
      const expected = evaluateLayerModel(compiled.layerModel, image)
      expected.forEach((value, j) => expect(Math.abs(outputs[j] - value)).toBeLessThan(tolerance))
      expect(argmax(outputs)).toBe(argmax(reference[i]))
    })
    expect(roundTrip.galoisKeyBytes).toBeLessThanOrEqual(keyBudget)
  })
})
