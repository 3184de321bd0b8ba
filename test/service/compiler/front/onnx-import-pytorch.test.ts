/**
 * PyTorch 1.13+ export patterns (test/support/onnx-fixtures.ts): nn.Linear as Gemm transB=1,
 * Python scalars as Constant 0-d tensors, x*x as Mul(h, h), x**2 as Pow(h, Constant 2), and MLPs
 * with two polynomial layers. The LayerModel reproduces onnxruntime on the same bytes.
 */
import { describe, expect, it } from 'vitest'
import { evaluateLayerModel } from '../../../../service/compiler/evaluate-layer-model.ts'
import type { LayerModel, LinearLayer } from '../../../../service/compiler/ir.ts'
import { readOnnxModel } from '../../../../onnx/read.ts'
import { importOnnx } from '../../../../service/compiler/onnx-import.ts'
import { createPlainModel } from '../../../../service/plain/onnx-runtime.ts'
import { float32Tolerance, roundInputsToFloat32 } from '../../../support/float32-tolerance.ts'
import {
  buildMlpOnnx,
  randomInputs,
  type FixtureActivation,
} from '../../../support/onnx-fixtures.ts'
import { expectAgreesWithOnnxruntime } from './agreement.ts'

const EXPECTED_POLY: Record<Exclude<FixtureActivation, 'none'>, number[]> = {
  square: [0, 0, 1],
  pow: [0, 0, 1],
  poly: [0, 0.5, 0.25],
}

describe.each(['raw', 'float'] as const)('PyTorch-style MLPs, weights in %s', (encoding) => {
  it.each(['square', 'pow', 'poly'] as const)(
    '16-12-8-4 with two %s layers',
    async (activation) => {
      const bytes = buildMlpOnnx({ sizes: [16, 12, 8, 4], activation, encoding, seed: 3 })
      const model = importOnnx(bytes)
      expect(model.layers.map((layer) => layer.kind)).toEqual([
        'linear',
        'poly',
        'linear',
        'poly',
        'linear',
      ])
      const polys = model.layers.filter((layer) => layer.kind === 'poly')
      for (const poly of polys) expect(poly.coefficients).toEqual(EXPECTED_POLY[activation])
      const linear = model.layers.filter((layer): layer is LinearLayer => layer.kind === 'linear')
      expect(linear.map((layer) => [layer.inFeatures, layer.outFeatures])).toEqual([
        [16, 12],
        [12, 8],
        [8, 4],
      ])
      expect(linear.map((layer) => layer.name)).toEqual(['/fc1/Gemm', '/fc2/Gemm', '/fc3/Gemm'])
      expect(model).toMatchObject({
        inputName: 'input',
        inputSize: 16,
        outputName: 'output',
        outputSize: 4,
      })
      await expectAgreesWithOnnxruntime(bytes, model, 32)
    },
  )
})

describe('PyTorch-style exports', () => {
  it('keeps the nn.Linear weights as stored ([out, in] with transB=1 is the IR layout)', () => {
    const bytes = buildMlpOnnx({ sizes: [3, 2], activation: 'none', seed: 9 })
    const graph = readOnnxModel(bytes)
    const layer = importOnnx(bytes).layers[0] as LinearLayer
    expect(Array.from(layer.weights)).toEqual(
      Array.from(graph.initializers.get('fc1.weight')?.values ?? []),
    )
    expect(Array.from(layer.bias)).toEqual(
      Array.from(graph.initializers.get('fc1.bias')?.values ?? []),
    )
  })

  it('a 784-128-10 MNIST-shaped MLP with an image input, Flatten and a square activation', async () => {
    const bytes = buildMlpOnnx({
      sizes: [784, 128, 10],
      activation: 'square',
      inputDims: [1, 28, 28],
      seed: 5,
    })
    const model = importOnnx(bytes)
    expect(model.inputShape).toEqual([1, 1, 28, 28])
    expect(model.layers.map((layer) => layer.kind)).toEqual(['linear', 'poly', 'linear'])
    await expectAgreesWithOnnxruntime(bytes, model, 64)
  })

  it('a polynomial with a constant term (0.25 x^2 + 0.5 x + 0.1) keeps the float32 constant', async () => {
    const bytes = buildMlpOnnx({
      sizes: [8, 6, 6, 3],
      activation: 'poly',
      coefficients: [0.1, 0.5, 0.25],
    })
    const model = importOnnx(bytes)
    const poly = model.layers[1]
    expect(poly.kind === 'poly' && poly.coefficients).toEqual([Math.fround(0.1), 0.5, 0.25])
    await expectAgreesWithOnnxruntime(bytes, model)
  })

  it('consecutive Gemms with no activation between fold into one linear layer', async () => {
    const bytes = buildMlpOnnx({ sizes: [10, 7, 5, 3], activation: 'none' })
    const model = importOnnx(bytes)
    expect(model.layers).toHaveLength(1)
    expect(model.layers[0]).toMatchObject({ kind: 'linear', inFeatures: 10, outFeatures: 3 })
    await expectAgreesWithOnnxruntime(bytes, model)
  })

  it('the comparison catches a layer model that is off by 1% in one weight (the check can fail)', async () => {
    const bytes = buildMlpOnnx({ sizes: [16, 8, 4], activation: 'square', seed: 4 })
    const model = importOnnx(bytes)
    const last = model.layers[2] as LinearLayer
    const weights = Float64Array.from(last.weights)
    weights[0] *= 1.01
    const perturbed: LayerModel = {
      ...model,
      layers: [model.layers[0], model.layers[1], { ...last, weights }],
    }
    const plain = await createPlainModel(bytes)
    const inputs = roundInputsToFloat32(randomInputs(16, 16))
    const expected = await plain.run(inputs)
    await plain.close()
    const caught = inputs.some((input, n) => {
      const got = evaluateLayerModel(perturbed, input)[0]
      return Math.abs(got - expected[n][0]) > float32Tolerance(perturbed, input)[0]
    })
    expect(caught).toBe(true)
  })
})
