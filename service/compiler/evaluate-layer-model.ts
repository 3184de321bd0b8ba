/**
 * Float64 forward pass of a LayerModel: the exact arithmetic the HE plan approximates, used to
 * check the front end against onnxruntime and the lowering against the layer model, and to
 * calibrate the value ranges (compile.ts). The only dense forward pass of the layer IR.
 */
import { PrivinferError } from '../../core/errors.ts'
import { unreachable } from '../../core/unreachable.ts'
import type { LayerModel } from './ir.ts'
import { evaluatePolynomial } from './front/polynomial.ts'

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
  let vector = Float64Array.from(input)
  model.layers.forEach((layer, layerIndex) => {
    observe?.(layerIndex, vector)
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
        vector = next
        return
      }
      case 'poly':
        vector = vector.map((value) => evaluatePolynomial(layer.coefficients, value))
        return
      default:
        return unreachable(layer)
    }
  })
  return vector
}

/** evaluateLayerModel for each input, in order. */
export function evaluateLayerModelBatch(
  model: LayerModel,
  inputs: readonly ArrayLike<number>[],
): Float64Array[] {
  return inputs.map((input) => evaluateLayerModel(model, input))
}
