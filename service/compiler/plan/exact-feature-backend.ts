/**
 * The exact float64 FeatureBackend: registers as plain slot vectors, no scale, no level, no noise.
 * The reference interpretation of a FeaturePlan (range measurement, tests).
 */
import type { FeatureBackend } from './execute-feature-plan.ts'
import type { FeaturePlan } from './feature-plan.ts'

export function createExactFeatureBackend(
  plan: Pick<FeaturePlan, 'matrices'>,
): FeatureBackend<Float64Array> {
  return {
    linearMap(op, _opIndex, inputs) {
      const matrix = plan.matrices[op.matrix]
      const length = inputs[0].length
      return Array.from({ length: op.rows }, (_, j) => {
        const out = new Float64Array(length)
        for (let i = 0; i < op.columns; i++) {
          const weight = matrix[j * op.columns + i]
          if (weight === 0) continue
          const x = inputs[i]
          for (let s = 0; s < length; s++) out[s] += weight * x[s]
        }
        return out
      })
    },
    addConstantInPlace(x, value) {
      for (let s = 0; s < x.length; s++) x[s] += value
    },
    multiplyConstant: (x, value) => x.map((v) => v * value),
    squareInPlace(x) {
      for (let s = 0; s < x.length; s++) x[s] *= x[s]
    },
    settle() {},
    rescaleInPlace() {},
    addInPlace(accumulator, x) {
      for (let s = 0; s < accumulator.length; s++) accumulator[s] += x[s]
    },
    free() {},
  }
}
