/**
 * Writes a trained MLP as ONNX (opset 13) with onnx/builder.ts:
 *   input [batch, n0] -> Gemm(transB=1) -> activation -> ... -> Gemm(transB=1) -> logits [batch, classes]
 * The activation is Mul(z, z) for 'square' and a*Mul(z, z) + b*z with Constant scalars a, b for
 * 'poly' (the pattern the HE importer recognizes as a degree-2 polynomial).
 * The input normalization (x - mean) / std is folded into the first Gemm:
 *   W' = W / std,  b'_j = b_j - (mean / std) * sum_k W_jk.
 */
import { OnnxModelBuilder, attr } from '../onnx/index.ts'
import { activationCoefficients, type Mlp } from './dp-sgd/mlp.ts'

export const ONNX_INPUT_NAME = 'input'
export const ONNX_OUTPUT_NAME = 'logits'

/** Effective (folded) weights and biases of each linear layer, float64. */
export function foldedLayers(
  model: Mlp,
): Array<{ inputs: number; outputs: number; weights: Float64Array; bias: Float64Array }> {
  const { inputMean, inputStd } = model.shape
  return model.linear.map((slot, l) => {
    const weights = model.params.slice(
      slot.weightOffset,
      slot.weightOffset + slot.inputs * slot.outputs,
    )
    const bias = model.params.slice(slot.biasOffset, slot.biasOffset + slot.outputs)
    if (l === 0) {
      for (let j = 0; j < slot.outputs; j++) {
        let rowSum = 0
        for (let k = 0; k < slot.inputs; k++) {
          rowSum += weights[j * slot.inputs + k]
          weights[j * slot.inputs + k] /= inputStd
        }
        bias[j] -= (inputMean / inputStd) * rowSum
      }
    }
    return { inputs: slot.inputs, outputs: slot.outputs, weights, bias }
  })
}

/** Serialized ONNX ModelProto of `model` (float32 weights). */
export function exportMlpToOnnx(model: Mlp): Uint8Array {
  const builder = new OnnxModelBuilder({ opset: 13, graphName: 'privinfer-mlp' })
  const layers = foldedLayers(model)
  builder.addInput(ONNX_INPUT_NAME, ['batch', layers[0].inputs])
  let current = ONNX_INPUT_NAME
  layers.forEach((layer, l) => {
    const last = l + 1 === layers.length
    const weightName = `fc${l + 1}.weight`
    const biasName = `fc${l + 1}.bias`
    builder.addInitializer(weightName, [layer.outputs, layer.inputs], layer.weights)
    builder.addInitializer(biasName, [layer.outputs], layer.bias)
    const z = last ? ONNX_OUTPUT_NAME : `fc${l + 1}.out`
    builder.addNode(
      'Gemm',
      [current, weightName, biasName],
      [z],
      { transB: attr.int(1) },
      `fc${l + 1}/Gemm`,
    )
    if (last) return
    const squared = `act${l + 1}.square`
    builder.addNode('Mul', [z, z], [squared], {}, `act${l + 1}/Square`)
    if (model.shape.activation === 'square') {
      current = squared
      return
    }
    const { a, b } = activationCoefficients(model, l)
    builder.addConstant(`act${l + 1}.a`, a)
    builder.addConstant(`act${l + 1}.b`, b)
    builder.addNode(
      'Mul',
      [squared, `act${l + 1}.a`],
      [`act${l + 1}.quadratic`],
      {},
      `act${l + 1}/MulA`,
    )
    builder.addNode('Mul', [z, `act${l + 1}.b`], [`act${l + 1}.linear`], {}, `act${l + 1}/MulB`)
    builder.addNode(
      'Add',
      [`act${l + 1}.quadratic`, `act${l + 1}.linear`],
      [`act${l + 1}.out`],
      {},
      `act${l + 1}/Add`,
    )
    current = `act${l + 1}.out`
  })
  builder.addOutput(ONNX_OUTPUT_NAME, ['batch', layers[layers.length - 1].outputs])
  return builder.toBytes()
}
