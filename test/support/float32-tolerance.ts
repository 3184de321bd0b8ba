/**
 * How far onnxruntime (float32 arithmetic) may be from evaluateLayerModel (float64) on the same
 * ONNX file, derived from float32 rounding rather than a magic number.
 *
 * Inputs are rounded to float32 before both runs (roundInputsToFloat32) and weights are stored as
 * float32, so the differences are onnxruntime's float32 roundings. We use the probabilistic bound
 * of Higham and Mary ("A new approach to probabilistic rounding error analysis", SIAM J. Sci.
 * Comput. 2019): an n-term sum has |fl(s) - s| <= lambda sqrt(n) u sum|terms| with probability at
 * least 1 - 2n exp(-lambda^2 / 2); u = 2^-24, lambda = 8 gives failure odds below 1e-11 per
 * output for n <= 1000. (The worst-case n u bound is ~sqrt(n) times looser and would not catch
 * a wrong coefficient in a 784-wide layer.) Along the exact activations x, the error bound e
 * propagates, first order:
 *   linear: e' = |W| e + lambda sqrt(n + 2) u (|b| + |W| |x|)
 *   poly:   e' = |p|'(|x| + e) e + lambda sqrt(2 deg + 2) u |p|(|x|)     (|p|: absolute coefficients)
 * onnxruntime may evaluate the unfolded graph (two Gemms instead of their product, a*x*x + b*x
 * instead of Horner): intermediate magnitudes the folded layers do not see. SAFETY = 4 covers that.
 */
import type { LayerModel } from '../../service/compiler/ir.ts'

const UNIT_ROUNDOFF = 2 ** -24
const LAMBDA = 8
const SAFETY = 4

function roundingFactor(terms: number): number {
  return LAMBDA * Math.sqrt(terms) * UNIT_ROUNDOFF
}

/** Inputs as onnxruntime sees them (float32), so both sides start from the same numbers. */
export function roundInputsToFloat32(inputs: readonly ArrayLike<number>[]): Float64Array[] {
  return inputs.map((input) => Float64Array.from(input, Math.fround))
}

/** Per-output absolute tolerance for one input (float64 layer model vs float32 onnxruntime). */
export function float32Tolerance(model: LayerModel, input: ArrayLike<number>): Float64Array {
  // value: the exact (float64) activation; error: the bound on onnxruntime's distance from it.
  let value = Float64Array.from(input)
  let error = new Float64Array(input.length)
  for (const layer of model.layers) {
    if (layer.kind === 'linear') {
      const { inFeatures, outFeatures, weights, bias } = layer
      const nextValue = new Float64Array(outFeatures)
      const nextError = new Float64Array(outFeatures)
      for (let i = 0; i < outFeatures; i++) {
        let sum = bias[i]
        let magnitude = Math.abs(bias[i])
        let propagated = 0
        for (let j = 0; j < inFeatures; j++) {
          const w = weights[i * inFeatures + j]
          sum += w * value[j]
          magnitude += Math.abs(w * value[j])
          propagated += Math.abs(w) * error[j]
        }
        nextValue[i] = sum
        nextError[i] = propagated + roundingFactor(inFeatures + 2) * magnitude
      }
      value = nextValue
      error = nextError
    } else {
      if (layer.kind !== 'poly')
        throw new Error(`float32 tolerance: ${layer.kind} layers unsupported`)
      const c = layer.coefficients
      const degree = c.length - 1
      error = error.map((e, i) => {
        const x = Math.abs(value[i]) + e
        // |p'| over the interval x +- e, bounded by the absolute-coefficient derivative at |x| + e.
        const slope = c.reduce(
          (sum, ck, k) => (k === 0 ? sum : sum + k * Math.abs(ck) * x ** (k - 1)),
          0,
        )
        const magnitude = c.reduce((sum, ck, k) => sum + Math.abs(ck) * Math.abs(value[i]) ** k, 0)
        return slope * e + roundingFactor(2 * degree + 2) * magnitude
      })
      value = value.map((x) => c.reduceRight((sum, ck) => sum * x + ck, 0))
    }
  }
  return error.map((e) => SAFETY * e + Number.MIN_VALUE)
}
