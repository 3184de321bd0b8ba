/**
 * Linear algebra on the flattened activation: Gemm (alpha, beta, transB; transA=1 only on a
 * feature-major activation, opset 7+ broadcasting of C) and MatMul with a constant 2-D right
 * operand (a leading [..., k, n] activation becomes a block-diagonal map). Both fold into the
 * pending affine map, so consecutive linear ops cost one layer.
 */
import { floatAttribute, intAttribute } from '../../../../onnx/attributes.ts'
import { composeLinear } from '../affine-map.ts'
import { broadcastShapes, expandTo, sizeOf } from '../constant-tensor.ts'
import { NodeProblem } from '../node-problem.ts'
import { constantInput, rejectTransposed, required, type OpImporter } from '../op-importer.ts'
import { OPAQUE, linearActivation } from '../symbolic-value.ts'

/** Row-major transpose of a rows x cols matrix. */
function transpose(values: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(values.length)
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) out[j * rows + i] = values[i * cols + j]
  return out
}

export const gemm: OpImporter = (node, inputs, chain) => {
  const a = required(node, inputs, 0)
  const b = required(node, inputs, 1)
  if (b.kind !== 'constant') {
    throw new NodeProblem(
      'B is a computed tensor: a product of two activations is not supported (weights must be constant)',
    )
  }
  if (a.kind === 'constant')
    throw new NodeProblem('A is a constant: the activation must be the first operand')
  const transA = intAttribute(node, 'transA', 0) !== 0
  if (a.kind === 'activation' && transA && !a.transposed) {
    throw new NodeProblem(
      'transA=1 on a batch-first activation [batch, features] would transpose the batch dimension: ' +
        'A must be feature-major [features, batch] (a Transpose of a [batch, features] activation)',
    )
  }
  if (a.kind === 'activation' && !transA && a.transposed) {
    throw new NodeProblem(
      'A is a feature-major activation [features, batch] (a Transpose of a [batch, features] ' +
        'activation): Gemm needs transA=1 to use it',
    )
  }
  const weights = b.tensor
  if (weights.dims.length !== 2)
    throw new NodeProblem(`B has rank ${weights.dims.length}, Gemm needs rank 2`)
  const transB = intAttribute(node, 'transB', 0) !== 0
  const [rows, cols] = weights.dims
  const [inFeatures, outFeatures] = transB ? [cols, rows] : [rows, cols]
  const alpha = floatAttribute(node, 'alpha', 1)
  const beta = floatAttribute(node, 'beta', 1)
  const c = inputs[2]
  let bias = new Float64Array(outFeatures)
  if (c) {
    const cTensor = constantInput(node, c, 'C (the bias)')
    const cBroadcast = broadcastShapes([1, outFeatures], cTensor.dims)
    if (
      !cBroadcast ||
      cBroadcast[0] !== 1 ||
      cBroadcast[1] !== outFeatures ||
      cBroadcast.length !== 2
    ) {
      throw new NodeProblem(
        `C of shape [${cTensor.dims.join(', ')}] does not broadcast to [batch, ${outFeatures}]`,
      )
    }
    bias = expandTo(cTensor, [1, outFeatures]).map((value) => beta * value)
  }
  if (a.kind === 'opaque') return [OPAQUE]
  if (a.shape.length !== 1 || a.shape[0] !== inFeatures) {
    throw new NodeProblem(
      transA
        ? `A has shape [${a.shape.join(', ')}, batch], B expects [${inFeatures}, batch]`
        : `A has shape [batch, ${a.shape.join(', ')}], B expects [batch, ${inFeatures}]`,
    )
  }
  // With transA=1, A' = A^T is the ordinary batch-first activation: the same affine map.
  // W as nn.Linear stores it: [out, in]; B is [in, out] unless transB.
  const w = transB ? weights.values : transpose(weights.values, rows, cols)
  const scaled = alpha === 1 ? w : w.map((value) => alpha * value)
  const map = composeLinear(chain.affineOf(a), scaled, outFeatures, bias, node.name)
  return [linearActivation(map, [outFeatures], chain.generation)]
}

export const matMul: OpImporter = (node, inputs, chain) => {
  const a = required(node, inputs, 0)
  const b = required(node, inputs, 1)
  if (a.kind === 'constant' && b.kind === 'constant') {
    throw new NodeProblem('MatMul of two constants is not folded')
  }
  if (b.kind !== 'constant') {
    throw new NodeProblem(
      a.kind === 'constant'
        ? 'the constant is the left operand: only activation x weights is supported'
        : 'MatMul of two computed tensors (activations) is not a linear map',
    )
  }
  if (a.kind === 'opaque') return [OPAQUE]
  if (a.kind !== 'activation') return [OPAQUE]
  rejectTransposed(a)
  const weights = b.tensor
  if (weights.dims.length !== 2) {
    throw new NodeProblem(
      `weights have rank ${weights.dims.length}; only a 2-D weight matrix is supported`,
    )
  }
  const [inFeatures, outFeatures] = weights.dims
  const shape = a.shape
  if (shape.length === 0 || shape[shape.length - 1] !== inFeatures) {
    throw new NodeProblem(
      `activation of shape [batch, ${shape.join(', ')}] does not match weights [${inFeatures}, ${outFeatures}]`,
    )
  }
  // x [..., k, n] @ W [n, m]: the same W^T applied to each of the `rows` vectors (block diagonal).
  const rows = sizeOf(shape) / inFeatures
  const wt = transpose(weights.values, inFeatures, outFeatures)
  let matrix = wt
  if (rows > 1) {
    matrix = new Float64Array(rows * outFeatures * rows * inFeatures)
    const width = rows * inFeatures
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < outFeatures; i++) {
        for (let j = 0; j < inFeatures; j++) {
          matrix[(r * outFeatures + i) * width + r * inFeatures + j] = wt[i * inFeatures + j]
        }
      }
    }
  }
  const map = composeLinear(
    chain.affineOf(a),
    matrix,
    rows * outFeatures,
    new Float64Array(rows * outFeatures),
    node.name,
  )
  return [linearActivation(map, [...shape.slice(0, -1), outFeatures], chain.generation)]
}
