/**
 * The front end on hand-built graphs of every supported op, with weights in raw_data and in
 * float_data: the LayerModel has the expected layers and agrees with onnxruntime on the same bytes.
 */
import { describe, expect, it } from 'vitest'
import { attr } from '../../../../onnx/attributes.ts'
import { OnnxModelBuilder } from '../../../../onnx/builder.ts'
import type { OnnxDim } from '../../../../onnx/graph.ts'
import type { TensorEncoding } from '../../../../onnx/tensor.ts'
import { importOnnx } from '../../../../service/compiler/onnx-import.ts'
import type { Layer, LinearLayer } from '../../../../service/compiler/ir.ts'
import { seededRandom } from '../../../support/onnx-fixtures.ts'
import { expectAgreesWithOnnxruntime } from './agreement.ts'

interface GraphSpec {
  inputDims?: OnnxDim[]
  outputDims?: OnnxDim[]
  opset?: number
}

/** A one-input one-output model named x -> y; `body` adds initializers and nodes. */
function buildGraph(body: (builder: OnnxModelBuilder) => void, spec: GraphSpec = {}): Uint8Array {
  const builder = new OnnxModelBuilder({ opset: spec.opset ?? 13 })
  builder.addInput('x', spec.inputDims ?? ['batch', 4])
  body(builder)
  builder.addOutput('y', spec.outputDims ?? ['batch', 3])
  return builder.toBytes()
}

function randomValues(count: number, seed: number): number[] {
  const random = seededRandom(seed)
  return Array.from({ length: count }, () => 2 * random() - 1)
}

function kinds(layers: Layer[]): string {
  return layers
    .map((layer) =>
      layer.kind === 'linear' ? `linear ${layer.inFeatures}->${layer.outFeatures}` : `poly`,
    )
    .join(', ')
}

function polyCoefficients(layers: Layer[]): number[][] {
  return layers.flatMap((layer) => (layer.kind === 'poly' ? [layer.coefficients] : []))
}

describe.each<TensorEncoding>(['raw', 'float'])(
  'supported ops, weights in %s encoding',
  (encoding) => {
    const weights = (
      builder: OnnxModelBuilder,
      name: string,
      dims: number[],
      seed: number,
    ): void => {
      builder.addInitializer(
        name,
        dims,
        randomValues(
          dims.reduce((a, b) => a * b, 1),
          seed,
        ),
        { encoding },
      )
    }

    it.each([
      { transB: 1, alpha: 1, beta: 1, biasDims: [3] },
      { transB: 0, alpha: 0.5, beta: 2, biasDims: [1, 3] },
      { transB: 1, alpha: -1.5, beta: 0.25, biasDims: [] },
    ])('Gemm %o', async ({ transB, alpha, beta, biasDims }) => {
      const bytes = buildGraph((builder) => {
        weights(builder, 'W', transB ? [3, 4] : [4, 3], 1)
        weights(builder, 'C', biasDims, 2)
        builder.addNode('Gemm', ['x', 'W', 'C'], ['y'], {
          transB: attr.int(transB),
          alpha: attr.float(alpha),
          beta: attr.float(beta),
        })
      })
      const model = importOnnx(bytes)
      expect(kinds(model.layers)).toBe('linear 4->3')
      expect(model).toMatchObject({
        inputName: 'x',
        inputShape: [1, 4],
        inputSize: 4,
        outputName: 'y',
        outputSize: 3,
      })
      await expectAgreesWithOnnxruntime(bytes, model)
    })

    it('Gemm without C has a zero bias', async () => {
      const bytes = buildGraph((builder) => {
        weights(builder, 'W', [3, 4], 3)
        builder.addNode('Gemm', ['x', 'W'], ['y'], { transB: attr.int(1) })
      })
      const model = importOnnx(bytes)
      expect(Array.from((model.layers[0] as LinearLayer).bias)).toEqual([0, 0, 0])
      await expectAgreesWithOnnxruntime(bytes, model)
    })

    it('MatMul followed by Add (bias) is one linear layer', async () => {
      const bytes = buildGraph((builder) => {
        weights(builder, 'W', [4, 3], 4)
        weights(builder, 'b', [3], 5)
        builder.addNode('MatMul', ['x', 'W'], ['h'])
        builder.addNode('Add', ['h', 'b'], ['y'])
      })
      const model = importOnnx(bytes)
      expect(kinds(model.layers)).toBe('linear 4->3')
      const layer = model.layers[0] as LinearLayer
      expect(layer.name).toBe('MatMul_0+Add_1')
      await expectAgreesWithOnnxruntime(bytes, model)
    })

    it('Flatten of an image input moves no data', async () => {
      const bytes = buildGraph(
        (builder) => {
          weights(builder, 'W', [3, 12], 6)
          builder.addNode('Flatten', ['x'], ['flat'], { axis: attr.int(1) })
          builder.addNode('Gemm', ['flat', 'W'], ['y'], { transB: attr.int(1) })
        },
        { inputDims: ['N', 3, 2, 2] },
      )
      const model = importOnnx(bytes)
      expect(model.inputShape).toEqual([1, 3, 2, 2])
      expect(model.inputSize).toBe(12)
      expect(kinds(model.layers)).toBe('linear 12->3')
      await expectAgreesWithOnnxruntime(bytes, model)
    })

    it('Reshape with the shape in an initializer and in a Constant', async () => {
      const bytes = buildGraph(
        (builder) => {
          builder.addInitializer('shape', [2], [-1, 6], { encoding, dataType: 'int64' })
          builder.addNode('Reshape', ['x', 'shape'], ['flat'])
          builder.addConstant('shape2', { dims: [3], values: [0, 2, 3], dataType: 'int64' })
          builder.addNode('Reshape', ['flat', 'shape2'], ['square'])
          builder.addConstant('shape3', { dims: [2], values: [-1, 6], dataType: 'int64' })
          builder.addNode('Reshape', ['square', 'shape3'], ['back'])
          weights(builder, 'W', [6, 3], 7)
          builder.addNode('MatMul', ['back', 'W'], ['y'])
        },
        { inputDims: ['batch', 2, 3] },
      )
      const model = importOnnx(bytes)
      expect(kinds(model.layers)).toBe('linear 6->3')
      await expectAgreesWithOnnxruntime(bytes, model)
    })

    it('x.view(x.size(0), -1): Shape, Gather, Unsqueeze, Concat, Reshape are folded', async () => {
      const bytes = buildGraph(
        (builder) => {
          builder.addNode('Shape', ['x'], ['shape'])
          builder.addConstant('zero', { dims: [], values: [0], dataType: 'int64' })
          builder.addNode('Gather', ['shape', 'zero'], ['batch'], { axis: attr.int(0) })
          builder.addConstant('axes', { dims: [1], values: [0], dataType: 'int64' })
          builder.addNode('Unsqueeze', ['batch', 'axes'], ['batch1'])
          builder.addConstant('minus1', { dims: [1], values: [-1], dataType: 'int64' })
          builder.addNode('Concat', ['batch1', 'minus1'], ['target'], { axis: attr.int(0) })
          builder.addNode('Reshape', ['x', 'target'], ['flat'])
          weights(builder, 'W', [3, 8], 8)
          builder.addNode('Gemm', ['flat', 'W'], ['y'], { transB: attr.int(1) })
        },
        { inputDims: ['batch', 2, 4] },
      )
      const model = importOnnx(bytes)
      expect(kinds(model.layers)).toBe('linear 8->3')
      await expectAgreesWithOnnxruntime(bytes, model)
    })

    it('Identity, Dropout, Squeeze and Unsqueeze move no data', async () => {
      const bytes = buildGraph((builder) => {
        builder.addNode('Identity', ['x'], ['a'])
        builder.addNode('Dropout', ['a'], ['b'])
        builder.addConstant('axes', { dims: [1], values: [2], dataType: 'int64' })
        builder.addNode('Unsqueeze', ['b', 'axes'], ['c'])
        builder.addNode('Squeeze', ['c', 'axes'], ['d'])
        weights(builder, 'W', [3, 4], 9)
        builder.addNode('Gemm', ['d', 'W'], ['y'], { transB: attr.int(1) })
      })
      const model = importOnnx(bytes)
      expect(kinds(model.layers)).toBe('linear 4->3')
      await expectAgreesWithOnnxruntime(bytes, model)
    })

    it('Mul(h, h) is a square layer', async () => {
      const bytes = buildGraph((builder) => {
        weights(builder, 'W1', [5, 4], 10)
        weights(builder, 'W2', [3, 5], 11)
        builder.addNode('Gemm', ['x', 'W1'], ['h'], { transB: attr.int(1) })
        builder.addNode('Mul', ['h', 'h'], ['s'])
        builder.addNode('Gemm', ['s', 'W2'], ['y'], { transB: attr.int(1) })
      })
      const model = importOnnx(bytes)
      expect(kinds(model.layers)).toBe('linear 4->5, poly, linear 5->3')
      expect(polyCoefficients(model.layers)).toEqual([[0, 0, 1]])
      await expectAgreesWithOnnxruntime(bytes, model)
    })

    it.each([
      ['a Constant 0-d tensor', 'constant'],
      ['an initializer', 'initializer'],
    ])('Pow(h, 2) with the exponent in %s', async (_label, where) => {
      const bytes = buildGraph((builder) => {
        weights(builder, 'W1', [5, 4], 12)
        weights(builder, 'W2', [3, 5], 13)
        if (where === 'constant') builder.addConstant('two', 2)
        else builder.addInitializer('two', [1], [2], { encoding })
        builder.addNode('Gemm', ['x', 'W1'], ['h'], { transB: attr.int(1) })
        builder.addNode('Pow', ['h', 'two'], ['s'])
        builder.addNode('Gemm', ['s', 'W2'], ['y'], { transB: attr.int(1) })
      })
      const model = importOnnx(bytes)
      expect(polyCoefficients(model.layers)).toEqual([[0, 0, 1]])
      await expectAgreesWithOnnxruntime(bytes, model)
    })

    it('Pow(h, 3) is a cubic layer', async () => {
      const bytes = buildGraph((builder) => {
        weights(builder, 'W1', [3, 4], 14)
        builder.addConstant('three', 3)
        builder.addNode('Gemm', ['x', 'W1'], ['h'], { transB: attr.int(1) })
        builder.addNode('Pow', ['h', 'three'], ['y'])
      })
      const model = importOnnx(bytes)
      expect(kinds(model.layers)).toBe('linear 4->3, poly')
      expect(polyCoefficients(model.layers)).toEqual([[0, 0, 0, 1]])
      await expectAgreesWithOnnxruntime(bytes, model)
    })

    it('0.25*x*x + 0.5*x written with Constant scalars is one polynomial', async () => {
      const bytes = buildGraph((builder) => {
        weights(builder, 'W1', [5, 4], 15)
        weights(builder, 'W2', [3, 5], 16)
        builder.addNode('Gemm', ['x', 'W1'], ['h'], { transB: attr.int(1) })
        builder.addConstant('a', 0.25)
        builder.addConstant('b', 0.5)
        builder.addNode('Mul', ['a', 'h'], ['ah'])
        builder.addNode('Mul', ['ah', 'h'], ['ahh'])
        builder.addNode('Mul', ['h', 'b'], ['bh'])
        builder.addNode('Add', ['ahh', 'bh'], ['p'])
        builder.addNode('Gemm', ['p', 'W2'], ['y'], { transB: attr.int(1) })
      })
      const model = importOnnx(bytes)
      expect(kinds(model.layers)).toBe('linear 4->5, poly, linear 5->3')
      expect(polyCoefficients(model.layers)).toEqual([[0, 0.5, 0.25]])
      await expectAgreesWithOnnxruntime(bytes, model)
    })

    it('Add(Mul(a, Mul(x, x)), Mul(b, x)) with initializer scalars, then Sub, Neg and Div', async () => {
      const bytes = buildGraph((builder) => {
        weights(builder, 'W1', [5, 4], 17)
        weights(builder, 'W2', [3, 5], 18)
        builder.addInitializer('a', [], [0.125], { encoding })
        builder.addInitializer('b', [1], [-0.75], { encoding })
        builder.addInitializer('c', [], [0.3], { encoding })
        builder.addInitializer('d', [1, 1], [4], { encoding })
        builder.addNode('Gemm', ['x', 'W1'], ['h'], { transB: attr.int(1) })
        builder.addNode('Mul', ['h', 'h'], ['hh'])
        builder.addNode('Mul', ['a', 'hh'], ['ahh'])
        builder.addNode('Mul', ['b', 'h'], ['bh'])
        builder.addNode('Add', ['ahh', 'bh'], ['p'])
        builder.addNode('Sub', ['c', 'p'], ['q']) // 0.3 - p
        builder.addNode('Neg', ['q'], ['r']) // p - 0.3
        builder.addNode('Div', ['r', 'd'], ['s']) // (p - 0.3) / 4
        builder.addNode('Gemm', ['s', 'W2'], ['y'], { transB: attr.int(1) })
      })
      const model = importOnnx(bytes)
      expect(kinds(model.layers)).toBe('linear 4->5, poly, linear 5->3')
      const [coefficients] = polyCoefficients(model.layers)
      const f = Math.fround
      expect(coefficients).toHaveLength(3)
      expect(coefficients[0]).toBeCloseTo(-f(0.3) / 4, 12)
      expect(coefficients[1]).toBeCloseTo(f(-0.75) / 4, 12)
      expect(coefficients[2]).toBeCloseTo(0.125 / 4, 12)
      await expectAgreesWithOnnxruntime(bytes, model)
    })

    it('Sub of an activation and a bias vector, and of two linear maps of the input', async () => {
      const bytes = buildGraph((builder) => {
        weights(builder, 'W1', [3, 4], 19)
        weights(builder, 'W2', [3, 4], 20)
        weights(builder, 'bias', [3], 21)
        builder.addNode('Gemm', ['x', 'W1'], ['h1'], { transB: attr.int(1) })
        builder.addNode('Gemm', ['x', 'W2'], ['h2'], { transB: attr.int(1) })
        builder.addNode('Sub', ['h1', 'h2'], ['d'])
        builder.addNode('Sub', ['d', 'bias'], ['y'])
      })
      const model = importOnnx(bytes)
      expect(kinds(model.layers)).toBe('linear 4->3')
      await expectAgreesWithOnnxruntime(bytes, model)
    })

    it('folds Gemm -> Gemm -> scalar Mul into one linear layer', async () => {
      const bytes = buildGraph((builder) => {
        weights(builder, 'W1', [6, 4], 22)
        weights(builder, 'b1', [6], 23)
        weights(builder, 'W2', [3, 6], 24)
        weights(builder, 'b2', [3], 25)
        builder.addConstant('half', 0.5)
        builder.addNode('Gemm', ['x', 'W1', 'b1'], ['h'], { transB: attr.int(1) })
        builder.addNode('Gemm', ['h', 'W2', 'b2'], ['g'], { transB: attr.int(1) })
        builder.addNode('Mul', ['g', 'half'], ['y'])
      })
      const model = importOnnx(bytes)
      expect(kinds(model.layers)).toBe('linear 4->3')
      await expectAgreesWithOnnxruntime(bytes, model)
    })

    it('a scalar multiply after a linear layer folds before the square (no extra layer)', async () => {
      const bytes = buildGraph((builder) => {
        weights(builder, 'W1', [5, 4], 26)
        weights(builder, 'W2', [3, 5], 27)
        builder.addConstant('half', 0.5)
        builder.addNode('Gemm', ['x', 'W1'], ['h'], { transB: attr.int(1) })
        builder.addNode('Mul', ['h', 'half'], ['g'])
        builder.addNode('Mul', ['g', 'g'], ['s'])
        builder.addNode('Gemm', ['s', 'W2'], ['y'], { transB: attr.int(1) })
      })
      const model = importOnnx(bytes)
      expect(kinds(model.layers)).toBe('linear 4->5, poly, linear 5->3')
      await expectAgreesWithOnnxruntime(bytes, model)
    })

    it('BatchNormalization (inference) folds into the linear layer', async () => {
      const bytes = buildGraph((builder) => {
        weights(builder, 'W1', [5, 4], 28)
        weights(builder, 'W2', [3, 5], 29)
        builder.addInitializer('scale', [5], [1, 2, 0.5, -1, 1.5], { encoding })
        weights(builder, 'shift', [5], 30)
        weights(builder, 'mean', [5], 31)
        builder.addInitializer('var', [5], [1, 0.5, 2, 0.25, 1], { encoding })
        builder.addNode('Gemm', ['x', 'W1'], ['h'], { transB: attr.int(1) })
        builder.addNode('BatchNormalization', ['h', 'scale', 'shift', 'mean', 'var'], ['n'], {
          epsilon: attr.float(1e-3),
        })
        builder.addNode('Mul', ['n', 'n'], ['s'])
        builder.addNode('Gemm', ['s', 'W2'], ['y'], { transB: attr.int(1) })
      })
      const model = importOnnx(bytes)
      expect(kinds(model.layers)).toBe('linear 4->5, poly, linear 5->3')
      await expectAgreesWithOnnxruntime(bytes, model)
    })

    it('a per-element constant after a polynomial commits it and starts a new linear layer', async () => {
      const bytes = buildGraph((builder) => {
        weights(builder, 'W1', [3, 4], 32)
        weights(builder, 'v', [3], 33)
        builder.addNode('Gemm', ['x', 'W1'], ['h'], { transB: attr.int(1) })
        builder.addNode('Mul', ['h', 'h'], ['s'])
        builder.addNode('Mul', ['s', 'v'], ['y'])
      })
      const model = importOnnx(bytes)
      expect(kinds(model.layers)).toBe('linear 4->3, poly, linear 3->3')
      await expectAgreesWithOnnxruntime(bytes, model)
    })

    it('a polynomial can apply to the model input directly', async () => {
      const bytes = buildGraph(
        (builder) => {
          builder.addNode('Mul', ['x', 'x'], ['s'])
          builder.addConstant('one', 1)
          builder.addNode('Add', ['s', 'one'], ['y'])
        },
        { outputDims: ['batch', 4] },
      )
      const model = importOnnx(bytes)
      expect(kinds(model.layers)).toBe('poly')
      expect(polyCoefficients(model.layers)).toEqual([[1, 0, 1]])
      expect(model.outputSize).toBe(4)
      await expectAgreesWithOnnxruntime(bytes, model)
    })

    it('MatMul on a [batch, rows, features] activation applies the weights to every row', async () => {
      const bytes = buildGraph(
        (builder) => {
          weights(builder, 'W', [4, 2], 34)
          builder.addNode('MatMul', ['x', 'W'], ['h'])
          builder.addNode('Flatten', ['h'], ['y'])
        },
        { inputDims: ['batch', 3, 4], outputDims: ['batch', 6] },
      )
      const model = importOnnx(bytes)
      expect(kinds(model.layers)).toBe('linear 12->6')
      await expectAgreesWithOnnxruntime(bytes, model)
    })

    it.each([
      { alpha: 1, beta: 1 },
      { alpha: 0.75, beta: -2 },
    ])('Transpose -> Gemm(transA=1, transB=1) -> square -> Gemm, %o', async ({ alpha, beta }) => {
      const bytes = buildGraph((builder) => {
        weights(builder, 'W1', [5, 4], 40)
        weights(builder, 'C1', [5], 41)
        weights(builder, 'W2', [3, 5], 42)
        weights(builder, 'C2', [3], 43)
        builder.addNode('Transpose', ['x'], ['xt'], { perm: attr.ints([1, 0]) }, 'to_columns')
        builder.addNode(
          'Gemm',
          ['xt', 'W1', 'C1'],
          ['h'],
          {
            transA: attr.int(1),
            transB: attr.int(1),
            alpha: attr.float(alpha),
            beta: attr.float(beta),
          },
          'fc1',
        )
        builder.addNode('Mul', ['h', 'h'], ['s'], {}, 'square')
        builder.addNode('Gemm', ['s', 'W2', 'C2'], ['y'], { transB: attr.int(1) }, 'fc2')
      })
      const model = importOnnx(bytes)
      expect(kinds(model.layers)).toBe('linear 4->5, poly, linear 5->3')
      expect(model.layers.map((layer) => layer.name)).toEqual(['fc1', 'square', 'fc2'])
      expect(model).toMatchObject({ inputShape: [1, 4], inputSize: 4, outputSize: 3 })
      await expectAgreesWithOnnxruntime(bytes, model)
    })

    it('scalar ops keep the feature-major layout; a Transpose without perm swaps back and forth', async () => {
      const bytes = buildGraph((builder) => {
        weights(builder, 'Wt', [4, 3], 44)
        builder.addNode('Transpose', ['x'], ['t1']) // no perm: reversed axes, [4, batch]
        builder.addConstant('half', 0.5)
        builder.addNode('Mul', ['t1', 'half'], ['t2'])
        builder.addNode('Mul', ['t2', 't2'], ['t3'])
        builder.addNode('Neg', ['t3'], ['t4'])
        builder.addNode('Transpose', ['t4'], ['b1'], { perm: attr.ints([1, 0]) })
        builder.addNode('Transpose', ['b1'], ['t5'], { perm: attr.ints([1, 0]) })
        // A constant Transpose is folded: W = Wt^T is [3, 4], used with transB=1.
        builder.addNode('Transpose', ['Wt'], ['W'], { perm: attr.ints([1, 0]) })
        builder.addNode('Gemm', ['t5', 'W'], ['y'], { transA: attr.int(1), transB: attr.int(1) })
      })
      const model = importOnnx(bytes)
      expect(kinds(model.layers)).toBe('poly, linear 4->3')
      // -(0.5 x)^2, with -0 normalized to 0
      expect(polyCoefficients(model.layers)[0].map((c) => c + 0)).toEqual([0, 0, -0.25])
      await expectAgreesWithOnnxruntime(bytes, model)
    })
  },
)
