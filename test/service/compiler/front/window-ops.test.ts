/**
 * Conv, AveragePool, GlobalAveragePool, Pad, BatchNormalization after Conv, and Transpose/Reshape
 * that move no data: each import reproduces onnxruntime on hand-built graphs (onnx/builder.ts) and
 * on the PyTorch fixtures; unsupported cases are rejected with their reasons, all at once.
 */
import { describe, expect, it } from 'vitest'
import { attr } from '../../../../onnx/attributes.ts'
import { OnnxModelBuilder } from '../../../../onnx/builder.ts'
import type { LinearLayer } from '../../../../service/compiler/ir.ts'
import { importOnnx } from '../../../../service/compiler/onnx-import.ts'
import { UnsupportedModelError } from '../../../../service/compiler/front/unsupported-model-error.ts'
import { seededRandom } from '../../../../service/compiler/seeded-random.ts'
import { torchFixtureBytes, torchFixtures } from '../../../support/torch-fixtures.ts'
import { expectAgreesWithOnnxruntime } from './agreement.ts'

const uniform = (count: number, seed: number, bound = 0.5) => {
  const next = seededRandom(seed)
  return Array.from({ length: count }, () => (2 * next() - 1) * bound)
}

type NodeSpec = {
  op: string
  inputs: string[]
  attributes?: Record<string, ReturnType<(typeof attr)['int']>>
  name?: string
}

/** A graph input [batch, ...inputDims] -> nodes -> 'output'; `weights` are initializers. */
function graph(
  inputDims: number[],
  nodes: NodeSpec[],
  weights: Record<string, { dims: number[]; values: number[]; int64?: true }> = {},
  outputDims: number[] = [],
): Uint8Array {
  const builder = new OnnxModelBuilder({ opset: 14, producerName: 'test' })
  builder.addInput('input', ['batch', ...inputDims])
  for (const [name, { dims, values, int64 }] of Object.entries(weights))
    builder.addInitializer(name, dims, values, int64 ? { dataType: 'int64' } : {})
  let current = 'input'
  nodes.forEach((node, i) => {
    const output = i === nodes.length - 1 ? 'output' : `t${i}`
    builder.addNode(
      node.op,
      node.inputs.map((name) => (name === '$' ? current : name)),
      [output],
      node.attributes ?? {},
      node.name,
    )
    current = output
  })
  builder.addOutput('output', ['batch', ...outputDims])
  return builder.toBytes()
}

const conv = (co: number, ci: number, kh: number, kw: number, seed: number, bias = true) => ({
  W: { dims: [co, ci, kh, kw], values: uniform(co * ci * kh * kw, seed) },
  ...(bias ? { B: { dims: [co], values: uniform(co, seed + 1, 0.2) } } : {}),
})

async function agrees(bytes: Uint8Array): Promise<LinearLayer[]> {
  const model = importOnnx(bytes)
  await expectAgreesWithOnnxruntime(bytes, model, 6)
  return model.layers.filter((layer): layer is LinearLayer => layer.kind === 'linear')
}

describe('Conv imports as a window map that reproduces onnxruntime', () => {
  it('asymmetric pads, stride 2, several channels, with and without bias', async () => {
    for (const bias of [true, false]) {
      const [layer] = await agrees(
        graph(
          [2, 7, 6],
          [
            {
              op: 'Conv',
              inputs: bias ? ['$', 'W', 'B'] : ['$', 'W'],
              attributes: { pads: attr.ints([1, 0, 2, 1]), strides: attr.ints([2, 1]) },
            },
          ],
          conv(3, 2, 3, 2, 5, bias),
          [3, 4, 6],
        ),
      )
      // Height (7 + 1 + 2 - 3) / 2 + 1 = 4, width (6 + 0 + 1 - 2) / 1 + 1 = 6.
      expect(layer.window?.outShape).toEqual([3, 4, 6])
      expect(layer.window?.pads).toEqual([1, 0, 2, 1])
    }
  })

  it('auto_pad SAME_UPPER, SAME_LOWER and VALID', async () => {
    for (const autoPad of ['SAME_UPPER', 'SAME_LOWER', 'VALID']) {
      const [layer] = await agrees(
        graph(
          [1, 6, 6],
          [
            {
              op: 'Conv',
              inputs: ['$', 'W', 'B'],
              attributes: { auto_pad: attr.string(autoPad), strides: attr.ints([2, 2]) },
            },
          ],
          conv(2, 1, 4, 4, 7),
          autoPad === 'VALID' ? [2, 2, 2] : [2, 3, 3],
        ),
      )
      expect(layer.window?.outShape).toEqual(autoPad === 'VALID' ? [2, 2, 2] : [2, 3, 3])
    }
  })

  it('BatchNormalization after Conv folds into the same layer; Mul(x, x) then Flatten, Gemm', async () => {
    const channels = 3
    const layers = await agrees(
      graph(
        [1, 5, 5],
        [
          { op: 'Conv', inputs: ['$', 'W', 'B'], attributes: { pads: attr.ints([1, 1, 1, 1]) } },
          { op: 'BatchNormalization', inputs: ['$', 'scale', 'shift', 'mean', 'var'] },
          { op: 'Mul', inputs: ['$', '$'] },
          { op: 'Flatten', inputs: ['$'] },
          { op: 'Gemm', inputs: ['$', 'G', 'C'], attributes: { transB: attr.int(1) } },
        ],
        {
          ...conv(channels, 1, 3, 3, 9),
          scale: { dims: [channels], values: [1.5, 0.5, -1] },
          shift: { dims: [channels], values: [0.1, -0.2, 0.3] },
          mean: { dims: [channels], values: [0.05, 0, -0.1] },
          var: { dims: [channels], values: [0.8, 1.2, 2] },
          G: { dims: [4, 75], values: uniform(300, 10, 0.2) },
          C: { dims: [4], values: uniform(4, 11, 0.1) },
        },
        [4],
      ),
    )
    expect(layers).toHaveLength(2)
    expect(layers[0].window?.outShape).toEqual([3, 5, 5])
    expect(layers[1].window).toBeUndefined()
  })
})

describe('pooling, padding and data-free shape ops', () => {
  it('AveragePool with pads, count_include_pad 0 and 1, and overlapping windows', async () => {
    for (const countIncludePad of [0, 1]) {
      const [layer] = await agrees(
        graph(
          [2, 7, 7],
          [
            {
              op: 'AveragePool',
              inputs: ['$'],
              attributes: {
                kernel_shape: attr.ints([3, 3]),
                strides: attr.ints([2, 2]),
                pads: attr.ints([1, 1, 1, 1]),
                count_include_pad: attr.int(countIncludePad),
              },
            },
          ],
          {},
          [2, 4, 4],
        ),
      )
      expect(layer.window?.outShape).toEqual([2, 4, 4])
      expect(layer.averagePool).toBeUndefined()
    }
  })

  it('an exact AveragePool(2) between a square and a Conv stays a layer of its own (a fold candidate)', async () => {
    const layers = await agrees(
      graph(
        [1, 8, 8],
        [
          { op: 'Conv', inputs: ['$', 'W1', 'B1'], attributes: { pads: attr.ints([1, 1, 1, 1]) } },
          { op: 'Mul', inputs: ['$', '$'] },
          {
            op: 'AveragePool',
            inputs: ['$'],
            attributes: { kernel_shape: attr.ints([2, 2]), strides: attr.ints([2, 2]) },
          },
          { op: 'Conv', inputs: ['$', 'W2', 'B2'] },
        ],
        {
          W1: conv(2, 1, 3, 3, 12).W,
          B1: conv(2, 1, 3, 3, 12).B!,
          W2: conv(3, 2, 3, 3, 14).W,
          B2: conv(3, 2, 3, 3, 14).B!,
        },
        [3, 2, 2],
      ),
    )
    expect(layers.map((layer) => [layer.averagePool ?? false, layer.window?.outShape])).toEqual([
      [false, [2, 8, 8]],
      [true, [2, 4, 4]],
      [false, [3, 2, 2]],
    ])
  })

  it('Pad (zeros, torch AvgPool2d style) + AveragePool, Pad + Conv, GlobalAveragePool', async () => {
    const pads = { dims: [8], values: [0, 0, 1, 2, 0, 0, 1, 1], int64: true as const }
    await agrees(
      graph(
        [2, 5, 6],
        [
          { op: 'Pad', inputs: ['$', 'pads'] },
          {
            op: 'AveragePool',
            inputs: ['$'],
            attributes: { kernel_shape: attr.ints([2, 3]), strides: attr.ints([1, 2]) },
          },
        ],
        { pads },
        [2, 6, 4],
      ),
    )
    await agrees(
      graph(
        [2, 5, 6],
        [
          { op: 'Pad', inputs: ['$', 'pads'] },
          { op: 'Conv', inputs: ['$', 'W'] },
        ],
        {
          pads,
          W: conv(2, 2, 3, 3, 15).W,
        },
        [2, 5, 7],
      ),
    )
    const [layer] = await agrees(
      graph(
        [3, 4, 5],
        [
          { op: 'GlobalAveragePool', inputs: ['$'] },
          { op: 'Flatten', inputs: ['$'] },
        ],
        {},
        [3],
      ),
    )
    expect(layer.window?.outShape).toEqual([3, 1, 1])
  })

  it('Transpose of size-1 axes and Reshape move no data', async () => {
    await agrees(
      graph(
        [3, 4, 4],
        [
          { op: 'GlobalAveragePool', inputs: ['$'] },
          { op: 'Transpose', inputs: ['$'], attributes: { perm: attr.ints([0, 2, 3, 1]) } },
          { op: 'Reshape', inputs: ['$', 'shape'] },
        ],
        { shape: { dims: [2], values: [-1, 3], int64: true } },
        [3],
      ),
    )
  })
})

describe('the PyTorch conv fixtures import and reproduce onnxruntime', () => {
  const fixtures = torchFixtures()
  const names = Object.keys(fixtures).filter(
    (name) =>
      fixtures[name].supported !== false &&
      fixtures[name].ops.some((op) => op === 'Conv' || op === 'AveragePool'),
  )
  it.each(names.filter((name) => !fixtures[name].ops.includes('Relu')))('%s', async (name) => {
    const layers = await agrees(torchFixtureBytes(name))
    expect(layers.some((layer) => layer.window !== undefined)).toBe(true)
  })
})

describe('unsupported convolution cases are rejected with their reasons, all at once', () => {
  it('group, dilation, MaxPool, ceil_mode and reflect padding in one model: five problems', () => {
    const bytes = graph(
      [4, 12, 12],
      [
        { op: 'Conv', inputs: ['$', 'Wg'], attributes: { group: attr.int(2) }, name: 'grouped' },
        {
          op: 'Conv',
          inputs: ['$', 'Wd'],
          attributes: { dilations: attr.ints([2, 2]) },
          name: 'dilated',
        },
        {
          op: 'MaxPool',
          inputs: ['$'],
          attributes: { kernel_shape: attr.ints([2, 2]) },
          name: 'max',
        },
        {
          op: 'AveragePool',
          inputs: ['$'],
          attributes: { kernel_shape: attr.ints([2, 2]), ceil_mode: attr.int(1) },
          name: 'ceil',
        },
        {
          op: 'Pad',
          inputs: ['$', 'pads'],
          attributes: { mode: attr.string('reflect') },
          name: 'reflect',
        },
      ],
      {
        Wg: { dims: [4, 2, 3, 3], values: uniform(72, 20) },
        Wd: { dims: [2, 4, 3, 3], values: uniform(72, 21) },
        pads: { dims: [8], values: [0, 0, 1, 1, 0, 0, 1, 1], int64: true },
      },
    )
    let error: unknown
    try {
      importOnnx(bytes)
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(UnsupportedModelError)
    const problems = (error as UnsupportedModelError).unsupported
    expect(problems.map((problem) => problem.node)).toEqual([
      'grouped',
      'dilated',
      'max',
      'ceil',
      'reflect',
    ])
    expect(problems[0].reason).toContain('group 2')
    expect(problems[1].reason).toContain('dilation [2, 2]')
    expect(problems[2].reason).toContain('AveragePool')
    expect(problems[3].reason).toContain('ceil_mode')
    expect(problems[4].reason).toContain('reflect')
  })

  it.each(['op-conv-group', 'op-conv-dilation', 'op-maxpool'])(
    'the %s fixture is rejected with its reason',
    (name) => {
      const fixture = torchFixtures()[name]
      expect(() => importOnnx(torchFixtureBytes(name))).toThrow(
        new RegExp(fixture.unsupportedReason!.split(' ')[0], 'i'),
      )
    },
  )
})
