/**
 * What the front end rejects: one UnsupportedModelError listing every unsupported node (with the
 * supported ops), and INVALID_MODEL for bytes that are not ONNX.
 */
import { describe, expect, it } from 'vitest'
import { PrivinferError } from '../../../../core/errors.ts'
import { applyPostprocessing } from '../../../../core/postprocessing.ts'
import { attr } from '../../../../onnx/attributes.ts'
import { OnnxModelBuilder } from '../../../../onnx/builder.ts'
import { SUPPORTED_OPS, ONNX_OPS } from '../../../../service/compiler/front/op-table.ts'
import { UnsupportedModelError } from '../../../../service/compiler/front/unsupported-model-error.ts'
import { evaluateLayerModel } from '../../../../service/compiler/evaluate-layer-model.ts'
import { importOnnx, importOnnxWithReport } from '../../../../service/compiler/onnx-import.ts'
import { createPlainModel } from '../../../../service/plain/onnx-runtime.ts'
import { buildMlpOnnx, randomInputs } from '../../../support/onnx-fixtures.ts'

function catchError(run: () => unknown): unknown {
  try {
    run()
  } catch (error) {
    return error
  }
  throw new Error('expected an error')
}

function ones(count: number): number[] {
  return Array.from({ length: count }, (_, i) => ((i % 5) - 2) / 4)
}

describe('unsupported models', () => {
  it('lists every unsupported node, op type and reason in one error, with the supported ops', () => {
    const builder = new OnnxModelBuilder({ opset: 13 })
    builder.addInput('x', ['batch', 1, 4, 4])
    builder.addInitializer('kernel', [2, 1, 3, 3], ones(18))
    builder.addNode('Conv', ['x', 'kernel'], ['c'], { dilations: attr.ints([2, 2]) }, 'conv1')
    builder.addNode('Elu', ['c'], ['r'], {}, 'elu1')
    builder.addNode('Flatten', ['r'], ['f'], {}, 'flatten')
    builder.addInitializer('W1', [8, 8], ones(64))
    builder.addNode('Gemm', ['f', 'W1'], ['h'], { transB: attr.int(1) }, 'fc1')
    builder.addNode('Softplus', ['h'], ['s'], {}, 'softplus1')
    builder.addInitializer('W2', [8, 8], ones(64))
    builder.addNode('MatMul', ['s', 'W2'], ['g'], {}, 'fc2')
    builder.addNode('MatMul', ['g', 'h'], ['gh'], {}, 'attention')
    builder.addInitializer('exponents', [2], [2, 3])
    builder.addNode('Pow', ['gh', 'exponents'], ['p'], {}, 'vector_pow')
    builder.addNode('Softmax', ['p'], ['y'], { axis: attr.int(0) }, 'softmax_over_batch')
    builder.addOutput('y', ['batch', 8])
    const error = catchError(() => importOnnx(builder.toBytes()))

    expect(error).toBeInstanceOf(UnsupportedModelError)
    const unsupported = error as UnsupportedModelError
    expect(unsupported.code).toBe('UNSUPPORTED_MODEL')
    expect(unsupported.unsupported.map((problem) => [problem.node, problem.opType])).toEqual([
      ['conv1', 'Conv'],
      ['elu1', 'Elu'],
      ['softplus1', 'Softplus'],
      ['attention', 'MatMul'],
      ['vector_pow', 'Pow'],
      ['softmax_over_batch', 'Softmax'],
    ])
    const message = unsupported.message
    for (const name of [
      'conv1',
      'elu1',
      'softplus1',
      'attention',
      'vector_pow',
      'softmax_over_batch',
    ]) {
      expect(message).toContain(name)
    }
    expect(message).toMatch(/conv1 \(Conv\): dilation \[2, 2\]: only dilation 1/)
    expect(message).toMatch(/attention \(MatMul\): MatMul of two computed tensors/)
    expect(message).toMatch(/vector_pow \(Pow\): the exponent has shape \[2\]: it must be a scalar/)
    expect(message).toContain(`Supported ops: ${SUPPORTED_OPS.join(', ')}`)
    expect(SUPPORTED_OPS).toEqual(
      Object.keys(ONNX_OPS).filter((opType) => ONNX_OPS[opType].kind === 'supported'),
    )
    expect(unsupported.details).toMatchObject({ supportedOps: SUPPORTED_OPS })
  })

  it.each([
    ['a fractional exponent', 2.5, /must be an integer/],
    ['a computed exponent', 'h', /the exponent must be a constant/],
  ])('rejects Pow with %s', (_label, exponent, pattern) => {
    const builder = new OnnxModelBuilder({ opset: 13 })
    builder.addInput('x', ['batch', 4])
    builder.addInitializer('W', [4, 4], ones(16))
    builder.addNode('Gemm', ['x', 'W'], ['h'], { transB: attr.int(1) })
    if (typeof exponent === 'number') builder.addConstant('e', exponent)
    builder.addNode('Pow', ['h', typeof exponent === 'number' ? 'e' : exponent], ['y'], {}, 'pow')
    builder.addOutput('y', ['batch', 4])
    expect(() => importOnnx(builder.toBytes())).toThrow(pattern)
  })

  const FEATURE_MAJOR =
    /the input is a feature-major activation \[features, batch\] \(a Transpose of a \[batch, features\] activation\): only element-wise ops with scalars, Gemm with transA=1 and a Transpose back/

  it.each<[string, (builder: OnnxModelBuilder) => void, string, string, RegExp]>([
    [
      'Gemm with transA=1 on a batch-first activation',
      (builder) => {
        builder.addNode(
          'Gemm',
          ['x', 'W'],
          ['y'],
          { transA: attr.int(1), transB: attr.int(1) },
          'fc_transA',
        )
      },
      'fc_transA',
      'Gemm',
      /transA=1 on a batch-first activation \[batch, features\] would transpose the batch dimension: A must be feature-major \[features, batch\]/,
    ],
    [
      'Gemm with transA=0 on a feature-major activation',
      (builder) => {
        builder.addNode('Transpose', ['x'], ['t'], { perm: attr.ints([1, 0]) })
        builder.addNode('Gemm', ['t', 'W'], ['y'], { transB: attr.int(1) }, 'fc_plain')
      },
      'fc_plain',
      'Gemm',
      /A is a feature-major activation \[features, batch\] .*: Gemm needs transA=1 to use it/,
    ],
    [
      'Flatten of a feature-major activation',
      (builder) => {
        builder.addNode('Transpose', ['x'], ['t'], { perm: attr.ints([1, 0]) })
        builder.addNode('Flatten', ['t'], ['y'], {}, 'flatten')
      },
      'flatten',
      'Flatten',
      FEATURE_MAJOR,
    ],
    [
      'Reshape of a feature-major activation',
      (builder) => {
        builder.addNode('Transpose', ['x'], ['t'], { perm: attr.ints([1, 0]) })
        builder.addInitializer('shape', [2], [-1, 4], { dataType: 'int64' })
        builder.addNode('Reshape', ['t', 'shape'], ['y'], {}, 'reshape')
      },
      'reshape',
      'Reshape',
      FEATURE_MAJOR,
    ],
    [
      'MatMul of a feature-major activation',
      (builder) => {
        builder.addNode('Transpose', ['x'], ['t'], { perm: attr.ints([1, 0]) })
        builder.addNode('MatMul', ['t', 'W'], ['y'], {}, 'matmul')
      },
      'matmul',
      'MatMul',
      FEATURE_MAJOR,
    ],
    [
      'a per-element constant on a feature-major activation',
      (builder) => {
        builder.addNode('Transpose', ['x'], ['t'], { perm: attr.ints([1, 0]) })
        builder.addInitializer('column', [4, 1], ones(4))
        builder.addNode('Add', ['t', 'column'], ['y'], {}, 'add_column')
      },
      'add_column',
      'Add',
      /constant of shape \[4, 1\] is not a scalar: the input is a feature-major activation/,
    ],
    [
      'a feature-major activation combined with a batch-first one',
      (builder) => {
        builder.addNode('Transpose', ['x'], ['t'], { perm: attr.ints([1, 0]) })
        builder.addNode('Add', ['t', 'x'], ['y'], {}, 'mixed')
      },
      'mixed',
      'Add',
      /combines a feature-major activation \[features, batch\] with a batch-first one/,
    ],
    [
      'a feature-major graph output',
      (builder) => {
        builder.addNode('Transpose', ['x'], ['y'], { perm: attr.ints([1, 0]) })
      },
      'y',
      'graph output',
      /the output is a feature-major activation \[features, batch\]: transpose it back/,
    ],
  ])('rejects %s', (_label, body, node, opType, reason) => {
    const builder = new OnnxModelBuilder({ opset: 13 })
    builder.addInput('x', ['batch', 4])
    builder.addInitializer('W', [4, 4], ones(16))
    body(builder)
    builder.addOutput('y', ['batch', 4])
    const error = catchError(() => importOnnx(builder.toBytes()))
    expect(error).toBeInstanceOf(UnsupportedModelError)
    const unsupported = error as UnsupportedModelError
    expect(unsupported.code).toBe('UNSUPPORTED_MODEL')
    expect(unsupported.unsupported).toHaveLength(1)
    expect(unsupported.unsupported[0]).toMatchObject({ node, opType })
    expect(unsupported.unsupported[0].reason).toMatch(reason)
    expect(unsupported.message).toMatch(reason)
  })

  it('rejects a Transpose that moves an activation of rank 3', () => {
    const builder = new OnnxModelBuilder({ opset: 13 })
    builder.addInput('x', ['batch', 2, 3])
    builder.addNode('Transpose', ['x'], ['t'], { perm: attr.ints([0, 2, 1]) }, 'swap_rows')
    builder.addNode('Flatten', ['t'], ['y'])
    builder.addOutput('y', ['batch', 6])
    const error = catchError(() => importOnnx(builder.toBytes()))
    expect(error).toBeInstanceOf(UnsupportedModelError)
    expect((error as UnsupportedModelError).code).toBe('UNSUPPORTED_MODEL')
    expect((error as UnsupportedModelError).message).toMatch(
      /swap_rows \(Transpose\): transposes an activation of rank 3 with perm \[0, 2, 1\] \(moves data\)/,
    )
  })

  it('rejects a skip connection around an activation (not a chain)', () => {
    const builder = new OnnxModelBuilder({ opset: 13 })
    builder.addInput('x', ['batch', 4])
    builder.addInitializer('W1', [4, 4], ones(16))
    builder.addInitializer('W2', [4, 4], ones(16))
    builder.addNode('Gemm', ['x', 'W1'], ['h'], { transB: attr.int(1) })
    builder.addNode('Mul', ['h', 'h'], ['s'])
    builder.addNode('Gemm', ['s', 'W2'], ['g'], { transB: attr.int(1) })
    builder.addNode('Add', ['g', 'h'], ['y'], {}, 'residual')
    builder.addOutput('y', ['batch', 4])
    const error = catchError(() => importOnnx(builder.toBytes())) as UnsupportedModelError
    expect(error.unsupported).toEqual([
      expect.objectContaining({
        node: 'residual',
        opType: 'Add',
        reason: expect.stringMatching(/skip connection/),
      }),
    ])
  })

  it('rejects the product of two different linear maps of the input', () => {
    const builder = new OnnxModelBuilder({ opset: 13 })
    builder.addInput('x', ['batch', 4])
    builder.addInitializer('W1', [4, 4], ones(16))
    builder.addInitializer('W2', [4, 4], ones(16).reverse())
    builder.addNode('Gemm', ['x', 'W1'], ['a'], { transB: attr.int(1) })
    builder.addNode('Gemm', ['x', 'W2'], ['b'], { transB: attr.int(1) })
    builder.addNode('Mul', ['a', 'b'], ['y'], {}, 'gate')
    builder.addOutput('y', ['batch', 4])
    expect(() => importOnnx(builder.toBytes())).toThrow(
      /gate \(Mul\): multiplies two different tensors/,
    )
  })

  it('rejects a graph with two inputs', () => {
    const builder = new OnnxModelBuilder({ opset: 13 })
    builder.addInput('x', ['batch', 4]).addInput('z', ['batch', 4])
    builder.addNode('Add', ['x', 'z'], ['y'])
    builder.addOutput('y', ['batch', 4])
    const error = catchError(() => importOnnx(builder.toBytes()))
    expect(error).toBeInstanceOf(UnsupportedModelError)
    expect((error as Error).message).toMatch(/2 inputs; exactly one is supported/)
  })

  it('rejects a Reshape that merges the batch into the features', () => {
    const builder = new OnnxModelBuilder({ opset: 13 })
    builder.addInput('x', ['batch', 4])
    builder.addInitializer('shape', [1], [-1], { dataType: 'int64' })
    builder.addNode('Reshape', ['x', 'shape'], ['y'], {}, 'merge_batch')
    builder.addOutput('y', [-1])
    expect(() => importOnnx(builder.toBytes())).toThrow(
      /merge_batch \(Reshape\): .*move the batch dimension/,
    )
  })
})

describe('a trailing Softmax, LogSoftmax or Sigmoid is post-processing, not HE', () => {
  function withOutputOp(opType: string, axis?: number): Uint8Array {
    const builder = new OnnxModelBuilder({ opset: 13 })
    builder.addInput('x', ['batch', 6])
    builder.addInitializer('W', [4, 6], ones(24))
    builder.addInitializer('b', [4], [0.1, -0.2, 0.3, 0])
    builder.addNode('Gemm', ['x', 'W', 'b'], ['logits'], { transB: attr.int(1) }, 'fc')
    const attributes: Record<string, ReturnType<typeof attr.int>> = axis === undefined
      ? {}
      : { axis: attr.int(axis) }
    builder.addNode(opType, ['logits'], ['probabilities'], attributes, 'output_op')
    builder.addOutput('probabilities', ['batch', 4])
    return builder.toBytes()
  }

  it.each([
    ['Softmax', -1, 'softmax'],
    ['LogSoftmax', 1, 'logSoftmax'],
    ['Sigmoid', undefined, 'sigmoid'],
  ] as const)(
    '%s: the layer model stops before it, names it, and applying it reproduces onnxruntime',
    async (opType, axis, postprocessing) => {
      const bytes = withOutputOp(opType, axis)
      const { model, droppedOutputNodes } = importOnnxWithReport(bytes)
      expect(droppedOutputNodes).toEqual(['output_op'])
      expect(model.postprocessing).toBe(postprocessing)
      expect(model.layers).toHaveLength(1)
      const plain = await createPlainModel(bytes)
      const inputs = randomInputs(16, 6, 3)
      const expected = await plain.run(inputs)
      await plain.close()
      inputs.forEach((input, n) => {
        const got = applyPostprocessing(model.postprocessing, evaluateLayerModel(model, input))
        got.forEach((value, j) => expect(value).toBeCloseTo(expected[n][j], 5))
      })
    },
  )

  it('a Softmax over the batch axis is not post-processing: rejected with its reason', () => {
    expect(() => importOnnx(withOutputOp('Softmax', 0))).toThrow(
      /output_op \(Softmax\): not a polynomial/,
    )
  })

  it('a trailing ArgMax is rejected with a hint, and dropped on request', () => {
    const builder = new OnnxModelBuilder({ opset: 13 })
    builder.addInput('x', ['batch', 6])
    builder.addInitializer('W', [4, 6], ones(24))
    builder.addNode('Gemm', ['x', 'W'], ['logits'], { transB: attr.int(1) }, 'fc')
    builder.addNode('ArgMax', ['logits'], ['class'], { axis: attr.int(1) }, 'argmax')
    builder.addOutput('class', ['batch', 1])
    const bytes = builder.toBytes()
    expect(() => importOnnx(bytes)).toThrow(/argmax \(ArgMax\): .*dropArgmaxPreservingOutputOps/)
    const { droppedOutputNodes } = importOnnxWithReport(bytes, {
      dropArgmaxPreservingOutputOps: true,
    })
    expect(droppedOutputNodes).toEqual(['argmax'])
  })
})

describe('malformed models', () => {
  it.each([
    ['garbage bytes', new TextEncoder().encode('definitely not protobuf')],
    ['an empty buffer', new Uint8Array()],
    ['a truncated model', buildMlpOnnx({ sizes: [8, 4], activation: 'none' }).subarray(0, 50)],
  ])('rejects %s with INVALID_MODEL', (_label, bytes) => {
    const error = catchError(() => importOnnx(bytes))
    expect(error).toBeInstanceOf(PrivinferError)
    expect((error as PrivinferError).code).toBe('INVALID_MODEL')
  })
})
