/**
 * PyTorch-style ONNX exports (Gemm + Mul(h, h) / Pow(h, 2) / Constant-coefficient polynomials, two
 * activation layers, weights in raw_data and float_data) compile and reproduce onnxruntime's outputs
 * under encryption within toleranceFor(parameters, plan).
 */
import { describe, expect, it } from 'vitest'
import { compileModel } from '../../../service/compiler/compile.ts'
import { compareHeToPlain } from '../../../service/models/compare-he.ts'
import { readOutput } from '../../../service/compiler/measure-ranges.ts'
import { executePlan } from '../../../service/compiler/plan/execute-plan.ts'
import {
  createFloat64Backend,
  nominalPrimes,
} from '../../../service/runtime/plain/float64-backend.ts'
import { createPlainModel } from '../../../service/plain/onnx-runtime.ts'
import { contentsOfInputLayout, packByContents } from '../../../core/layout/slot-contents.ts'
import { buildMlpOnnx, randomInputs, type FixtureActivation } from '../../support/onnx-fixtures.ts'

const cases: Array<[FixtureActivation, 'raw' | 'float']> = [
  ['square', 'raw'],
  ['pow', 'float'],
  ['poly', 'raw'],
]

describe('ONNX → HE plan on the float64 backend agrees with onnxruntime (before HE is involved)', () => {
  it.each(cases)(
    '64-32-16-10 with two %s activations (%s weights)',
    async (activation, encoding) => {
      const onnx = buildMlpOnnx({
        sizes: [64, 32, 16, 10],
        activation,
        encoding,
        seed: 13,
        coefficients: [0.1, 0.5, 0.25],
      })
      const inputs = randomInputs(3, 64, 5, 0, 1)
      const compiled = compileModel(onnx, { calibration: inputs })
      const plain = await createPlainModel(onnx)
      const expected = await plain.run(inputs)
      await plain.close()
      const backend = createFloat64Backend(
        compiled.plan,
        compiled.parameters,
        nominalPrimes(compiled.parameters),
      )
      inputs.forEach((x, i) => {
        const input = backend.encrypt(
          packByContents(contentsOfInputLayout(compiled.inputLayout), x),
        )
        const output = executePlan(compiled.plan, backend, input)
        const got = readOutput(compiled.plan, output.slots)
        // onnxruntime computes in float32: ~1e-7 relative per operation over 64-wide dot products.
        got.forEach((value, j) =>
          expect(Math.abs(value - expected[i][j])).toBeLessThan(
            1e-4 * (1 + Math.abs(expected[i][j])),
          ),
        )
        backend.free(output)
        backend.free(input)
      })
    },
  )
})

describe('ONNX → HE plan → node-seal agrees with onnxruntime', () => {
  it.each(cases)(
    '64-32-16-10 with two %s activations (%s weights)',
    async (activation, encoding) => {
      const onnx = buildMlpOnnx({
        sizes: [64, 32, 16, 10],
        activation,
        encoding,
        seed: 12,
        coefficients: [0.1, 0.5, 0.25],
      })
      const inputs = randomInputs(2, 64, 4, 0, 1)
      const compiled = compileModel(onnx, { calibration: inputs })
      // The default precision target (1e-3 x max|output|, outputs ~0.3 here) rules out the lazy
      // chains: eager rescaling, 3 products + 2 squares = 5 levels.
      expect(compiled.depth).toBe(5)
      const check = await compareHeToPlain(compiled, onnx, inputs)
      expect(check.comparison.maxAbsError).toBeLessThan(check.comparison.tolerance)
      expect(check.comparison.argmaxAgreement).toBe(1)
    },
  )
})
