/**
 * PyTorch-style ONNX exports (Gemm + Mul(h, h) / Pow(h, 2) / Constant-coefficient polynomials, two
 * activation layers, weights in raw_data and float_data) compile and reproduce onnxruntime's outputs
 * under encryption within toleranceFor(parameters, plan).
 */
import { describe, expect, it } from 'vitest'
import { compileModel } from '../../../service/compiler/compile.ts'
import { compareHeToPlain } from '../../../service/models/compare-he.ts'
import { buildMlpOnnx, randomInputs, type FixtureActivation } from '../../support/onnx-fixtures.ts'

const cases: Array<[FixtureActivation, 'raw' | 'float']> = [
  ['square', 'raw'],
  ['pow', 'float'],
  ['poly', 'raw'],
]

describe('ONNX → HE plan → node-seal agrees with onnxruntime', () => {
  it.each(cases)('64-32-16-10 with two %s activations (%s weights)', async (activation, encoding) => {
    const onnx = buildMlpOnnx({ sizes: [64, 32, 16, 10], activation, encoding, seed: 12, coefficients: [0.1, 0.5, 0.25] })
    const inputs = randomInputs(2, 64, 4, 0, 1)
    const compiled = compileModel(onnx, { calibration: inputs })
    // Lazy first layer (no level) + square + fc2 + square + fc3: 4 levels.
    expect(compiled.depth).toBe(4)
    const check = await compareHeToPlain(compiled, onnx, inputs)
    expect(check.comparison.maxAbsError).toBeLessThan(check.comparison.tolerance)
    expect(check.comparison.argmaxAgreement).toBe(1)
  })
})
