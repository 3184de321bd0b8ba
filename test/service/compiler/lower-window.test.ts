import { describe, expect, it } from 'vitest'
import { compileLayerModel, type CompiledModel } from '../../../service/compiler/compile.ts'
import { readOutput } from '../../../service/compiler/measure-ranges.ts'
import { countOps } from '../../../service/compiler/plan/plan.ts'
import type { Layer, LayerModel, LinearLayer } from '../../../service/compiler/ir.ts'
import {
  averagePoolMap,
  convolutionMap,
  type WindowMap,
} from '../../../service/compiler/front/window-maps.ts'
import { windowGeometry } from '../../../core/layout/window-geometry.ts'
import { executePlan } from '../../../service/compiler/plan/execute-plan.ts'
import { createCountingBackend } from '../../../service/runtime/counting-backend.ts'
import {
  createFloat64Backend,
  nominalPrimes,
} from '../../../service/runtime/plain/float64-backend.ts'
import { packInput } from '../../../core/he/slots.ts'
import { contentsOfInputLayout, packByContents } from '../../../core/layout/slot-contents.ts'
import { evaluateDense, randomInputs, seeded } from './layer-models.ts'
import { averagePool, convolve } from '../../support/conv-reference.ts'

const uniform = (count: number, seed: number, bound = 0.5) => {
  const next = seeded(seed)
  return Float64Array.from({ length: count }, () => (2 * next() - 1) * bound)
}

function linear(name: string, map: WindowMap, options: { pool?: boolean } = {}): LinearLayer {
  return {
    kind: 'linear',
    name,
    inFeatures: map.weights.length / map.bias.length,
    outFeatures: map.bias.length,
    weights: map.weights,
    bias: map.bias,
    window: map.geometry,
    ...(options.pool ? { averagePool: true as const } : {}),
  }
}

function gemm(name: string, rows: number, columns: number, seed: number): LinearLayer {
  return {
    kind: 'linear',
    name,
    inFeatures: columns,
    outFeatures: rows,
    weights: uniform(rows * columns, seed, 1 / Math.sqrt(columns)),
    bias: uniform(rows, seed + 1, 0.1),
  }
}

const square: Layer = { kind: 'poly', name: 'square', coefficients: [0, 0, 1] }

function model(inputShape: number[], layers: Layer[]): LayerModel {
  const inputSize = inputShape.reduce((a, b) => a * b, 1)
  const last = layers.findLast((layer) => layer.kind === 'linear') as LinearLayer
  return {
    inputName: 'input',
    inputShape: [1, ...inputShape],
    inputSize,
    outputName: 'output',
    outputSize: last.outFeatures,
    layers,
  }
}

/** Conv(1->5, k5, s2, p1) -> x*x -> Gemm(845->10) with seeded weights. */
function convSquareGemm(): LayerModel {
  const geometry = windowGeometry([1, 28, 28], 5, [5, 5], [2, 2], [1, 1, 1, 1])
  const conv = convolutionMap(geometry, uniform(125, 1, 0.3), uniform(5, 2, 0.1))
  return model([1, 28, 28], [linear('conv', conv), square, gemm('fc', 10, 845, 3)])
}

/** Conv(1->4, k5, p2) -> x*x -> AvgPool(2) -> Conv(4->8, k5) -> x*x -> AvgPool(2) -> Gemm(200->10). */
function lenet(): LayerModel {
  const c1 = windowGeometry([1, 28, 28], 4, [5, 5], [1, 1], [2, 2, 2, 2])
  const p1 = windowGeometry([4, 28, 28], 4, [2, 2], [2, 2], [0, 0, 0, 0])
  const c2 = windowGeometry([4, 14, 14], 8, [5, 5], [1, 1], [0, 0, 0, 0])
  const p2 = windowGeometry([8, 10, 10], 8, [2, 2], [2, 2], [0, 0, 0, 0])
  return model(
    [1, 28, 28],
    [
      linear('conv1', convolutionMap(c1, uniform(100, 4, 0.3), uniform(4, 5, 0.1))),
      square,
      linear('pool1', averagePoolMap(p1, true), { pool: true }),
      linear('conv2', convolutionMap(c2, uniform(800, 6, 0.1), uniform(8, 7, 0.1))),
      square,
      linear('pool2', averagePoolMap(p2, true), { pool: true }),
      gemm('fc', 10, 200, 8),
    ],
  )
}

function runFloat64(compiled: CompiledModel, x: Float64Array) {
  const backend = createFloat64Backend(
    compiled.plan,
    compiled.parameters,
    nominalPrimes(compiled.parameters),
  )
  const counting = createCountingBackend(backend)
  const input = backend.encrypt(packInput(compiled.inputLayout, x))
  const output = executePlan(compiled.plan, counting, input)
  const result = readOutput(compiled.plan, output.slots)
  backend.free(output)
  backend.free(input)
  expect(backend.live).toBe(0)
  return { result, counts: counting.counts }
}

describe('window maps match the reference convolution and pooling', () => {
  it('convolutionMap and averagePoolMap equal direct NCHW evaluation', () => {
    const geometry = windowGeometry([2, 7, 9], 3, [3, 2], [2, 1], [1, 0, 2, 1])
    const kernel = uniform(3 * 2 * 3 * 2, 11)
    const bias = uniform(3, 12)
    const map = convolutionMap(geometry, kernel, bias)
    const x = uniform(2 * 7 * 9, 13)
    const expected = convolve(geometry, kernel, bias, x)
    const rows = map.bias.length
    for (let i = 0; i < rows; i++) {
      let sum = map.bias[i]
      for (let j = 0; j < x.length; j++) sum += map.weights[i * x.length + j] * x[j]
      expect(sum).toBeCloseTo(expected[i], 12)
    }
    const pool = averagePoolMap(windowGeometry([2, 6, 6], 2, [2, 2], [2, 2], [0, 0, 0, 0]), true)
    const y = uniform(72, 14)
    const pooled = averagePool([2, 6, 6], 2, y)
    for (let i = 0; i < 18; i++) {
      let sum = 0
      for (let j = 0; j < 72; j++) sum += pool.weights[i * 72 + j] * y[j]
      expect(sum).toBeCloseTo(pooled[i], 12)
    }
  })
})

describe('lowering convolutions to placed diagonal products (float64 backend, no SEAL)', () => {
  const calibration = randomInputs(784, 4, 3)

  it('Conv(1->5, k5, s2, p1) -> x*x -> Gemm(845->10): 5 client copies, 25 + 16 diagonals, 22 rotations', () => {
    const layerModel = convSquareGemm()
    const compiled = compileLayerModel(layerModel, { calibration })
    expect(compiled.parameters.polyModulusDegree).toBe(8192)
    expect(compiled.inputLayout.blocks).toHaveLength(5)
    expect(compiled.inputLayout.blocks.every((block) => block.inputOffset === -29)).toBe(true)
    const [conv] = compiled.plan.ops
    expect(conv.kind === 'matVec' && conv.groups.reduce((n, g) => n + g.terms.length, 0)).toBe(25)
    expect(countOps(compiled.plan).rotations).toBe(22)
    for (const x of randomInputs(784, 3, 21)) {
      const { result, counts } = runFloat64(compiled, x)
      const expected = evaluateDense(layerModel, x)
      for (let j = 0; j < 10; j++) expect(result[j]).toBeCloseTo(expected[j], 6)
      expect(counts.rotate).toBe(22)
    }
  })

  it('the client packs the first convolution input exactly where the lowering reads it', () => {
    const compiled = compileLayerModel(convSquareGemm(), { calibration })
    const x = randomInputs(784, 1, 5)[0]
    const client = packInput(compiled.inputLayout, x)
    const layout = packByContents(contentsOfInputLayout(compiled.inputLayout), x)
    expect(Array.from(client)).toEqual(Array.from(layout))
    // Copy j holds the image row-major after a lead of 29 zero slots (top and left padding).
    const period = compiled.inputLayout.blocks[1].slotStart
    for (let j = 0; j < 5; j++) {
      for (let q = 0; q < 29; q++) expect(client[j * period + q]).toBe(0)
      for (let i = 0; i < 784; i++) expect(client[j * period + 29 + i]).toBe(x[i])
    }
  })

  it('LeNet-style: the first pool is a fold (no level), the second folds into the Gemm', () => {
    const layerModel = lenet()
    const compiled = compileLayerModel(layerModel, { calibration })
    const kinds = compiled.plan.ops.map((op) => `${op.kind}:${op.layer}`)
    expect(kinds).toContain('fold:pool1')
    expect(kinds.some((kind) => kind.startsWith('matVec:pool2'))).toBe(true)
    expect(compiled.inputLayout.blocks).toHaveLength(4)
    const conv2 = compiled.plan.ops.find((op) => op.layer === 'conv2' && op.kind === 'matVec')
    // 4 cyclic channel blocks x 25 taps x 2 output shifts (8 output channels on 4 blocks).
    expect(conv2?.kind === 'matVec' && conv2.groups.reduce((n, g) => n + g.terms.length, 0)).toBe(
      200,
    )
    for (const x of randomInputs(784, 2, 31)) {
      const { result } = runFloat64(compiled, x)
      const expected = evaluateDense(layerModel, x)
      const scale = Math.max(...expected.map(Math.abs))
      for (let j = 0; j < 10; j++)
        expect(Math.abs(result[j] - expected[j])).toBeLessThan(1e-9 * scale)
    }
  })
})
