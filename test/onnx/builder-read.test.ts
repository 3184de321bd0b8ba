import { describe, expect, it } from 'vitest'
import { PrivinferError } from '../../core/errors.ts'
import { attr } from '../../onnx/attributes.ts'
import { OnnxModelBuilder } from '../../onnx/builder.ts'
import { onnx } from '../../onnx/proto.ts'
import { readOnnxModel } from '../../onnx/read.ts'

describe('OnnxModelBuilder -> readOnnxModel', () => {
  it.each(['raw', 'float'] as const)('round-trips initializers stored as %s', (encoding) => {
    const weights = [0.5, -1.25, 3, 1e-3, -7.5, 2]
    const builder = new OnnxModelBuilder({ opset: 13 })
    builder.addInput('x', ['batch', 3])
    builder.addInitializer('w', [2, 3], weights, { encoding })
    builder.addInitializer('shape', [2], [-1, 6], { encoding, dataType: 'int64' })
    builder.addInitializer('d', [2], [0.1, 1 / 3], { encoding, dataType: 'double' })
    builder.addNode('Gemm', ['x', 'w'], ['y'], { transB: attr.int(1), alpha: attr.float(0.5) })
    builder.addOutput('y', ['batch', 2])
    const graph = readOnnxModel(builder.toBytes())

    expect(graph.opset).toBe(13)
    expect(graph.inputs).toEqual([{ name: 'x', dataType: 'float', dims: ['batch', 3] }])
    expect(graph.outputs).toEqual([{ name: 'y', dataType: 'float', dims: ['batch', 2] }])
    const w = graph.initializers.get('w')
    expect(w?.dims).toEqual([2, 3])
    expect(Array.from(w?.values ?? [])).toEqual(weights.map(Math.fround))
    expect(Array.from(graph.initializers.get('shape')?.values ?? [])).toEqual([-1, 6])
    expect(Array.from(graph.initializers.get('d')?.values ?? [])).toEqual([0.1, 1 / 3])
    expect(graph.nodes).toHaveLength(1)
    expect(graph.nodes[0].opType).toBe('Gemm')
    expect(graph.nodes[0].attributes).toEqual({
      transB: { kind: 'int', value: 1 },
      alpha: { kind: 'float', value: 0.5 },
    })
  })

  it('writes a Python scalar as a Constant node holding a 0-d tensor, like PyTorch', () => {
    const builder = new OnnxModelBuilder({ opset: 17 })
    builder.addInput('x', [1, 2])
    builder.addConstant('two', 2)
    builder.addNode('Pow', ['x', 'two'], ['y'])
    builder.addOutput('y', [1, 2])
    const graph = readOnnxModel(builder.toBytes())
    const constant = graph.nodes[0]
    expect(constant.opType).toBe('Constant')
    expect(constant.outputs).toEqual(['two'])
    const value = constant.attributes.value
    expect(value.kind).toBe('tensor')
    if (value.kind !== 'tensor') return
    expect(value.value.dims).toEqual([])
    expect(Array.from(value.value.values)).toEqual([2])
  })

  it('reads typed int64_data, double_data and int32_data written by another producer', () => {
    const DataType = onnx.TensorProto.DataType
    const bytes = onnx.ModelProto.encode({
      irVersion: 7,
      opsetImport: [{ domain: 'ai.onnx', version: 11 }],
      graph: {
        name: 'g',
        initializer: [
          { name: 'i64', dataType: DataType.INT64, dims: [3], int64Data: [1, -2, 3] },
          { name: 'f64', dataType: DataType.DOUBLE, dims: [1, 2], doubleData: [0.25, -0.5] },
          { name: 'i8', dataType: DataType.INT8, dims: [2], int32Data: [-3, 4] },
          { name: 'h', dataType: DataType.FLOAT16, dims: [2], int32Data: [0x3c00, 0xc000] },
        ],
        input: [{ name: 'f64' }, { name: 'x' }],
      },
    }).finish()
    const graph = readOnnxModel(bytes)
    expect(graph.opset).toBe(11)
    expect(graph.inputs.map((input) => input.name)).toEqual(['x']) // IR < 4 style: initializer listed as input
    expect(Array.from(graph.initializers.get('i64')?.values ?? [])).toEqual([1, -2, 3])
    expect(Array.from(graph.initializers.get('f64')?.values ?? [])).toEqual([0.25, -0.5])
    expect(Array.from(graph.initializers.get('i8')?.values ?? [])).toEqual([-3, 4])
    expect(Array.from(graph.initializers.get('h')?.values ?? [])).toEqual([1, -2])
  })

  it('names unnamed nodes after their op type and position', () => {
    const bytes = onnx.ModelProto.encode({
      irVersion: 8,
      opsetImport: [{ version: 13 }],
      graph: { node: [{ opType: 'Identity', input: ['x'], output: ['y'] }] },
    }).finish()
    expect(readOnnxModel(bytes).nodes[0].name).toBe('Identity_0')
  })
})

describe('readOnnxModel rejects malformed input with INVALID_MODEL', () => {
  const cases: [string, Uint8Array][] = [
    ['empty bytes', new Uint8Array()],
    ['text', new TextEncoder().encode('this is not an onnx model at all')],
    [
      'truncated model',
      (() => {
        const builder = new OnnxModelBuilder({ opset: 13 })
        builder.addInput('x', [1, 4]).addInitializer('w', [4, 4], new Array(16).fill(1))
        const bytes = builder.toBytes()
        return bytes.subarray(0, bytes.length - 20)
      })(),
    ],
    ['random bytes', Uint8Array.from({ length: 256 }, (_, i) => (i * 7919 + 13) % 256)],
  ]
  it.each(cases)('%s', (_label, bytes) => {
    let caught: unknown
    try {
      readOnnxModel(bytes)
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(PrivinferError)
    expect((caught as PrivinferError).code).toBe('INVALID_MODEL')
  })

  it('rejects an initializer whose data does not match its dims', () => {
    const bytes = onnx.ModelProto.encode({
      irVersion: 8,
      opsetImport: [{ version: 13 }],
      graph: { initializer: [{ name: 'w', dataType: 1, dims: [2, 2], floatData: [1, 2, 3] }] },
    }).finish()
    expect(() => readOnnxModel(bytes)).toThrow(/need 4 values, the tensor holds 3/)
  })
})
