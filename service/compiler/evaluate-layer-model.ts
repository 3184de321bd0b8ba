/**
 * Float64 forward pass of a LayerModel: the exact arithmetic the HE plan approximates, used to
 * check the front end against onnxruntime and the lowering against the layer model, and to
 * calibrate the value ranges (compile.ts). The only dense forward pass of the layer IR.
 */
import { PrivinferError } from '../../core/errors.ts'
import { unreachable } from '../../core/unreachable.ts'
import type { ChebyshevLayer, Layer, LayerModel } from './ir.ts'
import { evaluatePolynomial } from './front/polynomial.ts'
import { evaluateElementwise } from './elementwise.ts'

/**
 * Runs one input vector (flattened, row-major, model.inputSize values) through every layer.
 * `observe` sees each layer's input before the layer runs (read only), e.g. for calibration ranges.
 * @throws PrivinferError INPUT_INVALID when the input length is not model.inputSize.
 */
export function evaluateLayerModel(
  model: LayerModel,
  input: ArrayLike<number>,
  observe?: (layerIndex: number, layerInput: Float64Array) => void,
): Float64Array {
  if (input.length !== model.inputSize) {
    throw new PrivinferError(
      'INPUT_INVALID',
      `input has ${input.length} values, the model expects ${model.inputSize}`,
      { got: input.length, expected: model.inputSize },
    )
  }
  let vector: Float64Array = Float64Array.from(input)
  model.layers.forEach((layer, layerIndex) => {
    observe?.(layerIndex, vector)
    vector = evaluateLayer(layer, vector)
  })
  return vector
}

/** One layer on one input vector (a new vector). */
export function evaluateLayer(layer: Layer, vector: Float64Array): Float64Array<ArrayBuffer> {
  switch (layer.kind) {
    case 'linear': {
      const { inFeatures, outFeatures, weights, bias } = layer
      const next = new Float64Array(outFeatures)
      for (let i = 0; i < outFeatures; i++) {
        let sum = bias[i]
        const row = i * inFeatures
        for (let j = 0; j < inFeatures; j++) sum += weights[row + j] * vector[j]
        next[i] = sum
      }
      return next
    }
    case 'poly':
      return vector.map((value) => evaluatePolynomial(layer.coefficients, value))
    case 'activation':
      return vector.map((value) => evaluateElementwise(layer.function, value))
    case 'chebyshev':
      return vector.map((value, j) => evaluateChebyshevLayer(layer, j, value))
    default:
      return unreachable(layer)
  }
}

/** evaluateLayerModel for each input, in order. */
export function evaluateLayerModelBatch(
  model: LayerModel,
  inputs: readonly ArrayLike<number>[],
): Float64Array[] {
  return inputs.map((input) => evaluateLayerModel(model, input))
}

/** Feature j of a ChebyshevLayer at x. */
export function evaluateChebyshevLayer(layer: ChebyshevLayer, j: number, x: number): number {
  const t = (x - layer.center[j]) / layer.halfWidth[j]
  // Clenshaw (chebyshev-fit.ts evaluateChebyshev) on column j of the coefficients.
  const c = layer.coefficients
  let b1 = 0
  let b2 = 0
  for (let k = c.length - 1; k >= 1; k--) {
    const b0 = 2 * t * b1 - b2 + c[k][j]
    b2 = b1
    b1 = b0
  }
  return t * b1 - b2 + c[0][j]
}
