/**
 * Ops that move no data: Identity, Dropout (inference), Flatten, Reshape (opset 5+ shape input,
 * allowzero), Squeeze/Unsqueeze (axes as attribute before opset 13, as input from 13) and Transpose
 * (folded on constants; on an activation only the 2-D swap, which flips the layout flag). The batch
 * dimension must stay first and single.
 */
import { intAttribute, intsAttribute } from '../../../../onnx/attributes.ts'
import { sizeOf, type ConstantTensor } from '../constant-tensor.ts'
import { NodeProblem } from '../node-problem.ts'
import {
  axesOf,
  constantInput,
  dimsOf,
  normalizeAxis,
  required,
  reshaped,
  withLayout,
  type OpImporter,
} from '../op-importer.ts'
import { OPAQUE, constantValue, type ConstantValue } from '../symbolic-value.ts'

export const passThrough: OpImporter = (node, inputs) => [required(node, inputs, 0)]

/** A constant with its axes permuted (out dim i = in dim perm[i]). */
function permuteConstant(tensor: ConstantTensor, perm: readonly number[]): ConstantValue {
  const dims = tensor.dims
  const strides = dims.map((_, i) => sizeOf(dims.slice(i + 1)))
  const outDims = perm.map((axis) => dims[axis])
  const out = new Float64Array(tensor.values.length)
  const index = new Array<number>(outDims.length).fill(0)
  for (let o = 0; o < out.length; o++) {
    let source = 0
    for (let i = 0; i < perm.length; i++) source += index[i] * strides[perm[i]]
    out[o] = tensor.values[source]
    for (let i = outDims.length - 1; i >= 0; i--) {
      if (++index[i] < outDims[i]) break
      index[i] = 0
    }
  }
  return constantValue(outDims, out)
}

/**
 * Transpose: folded on constants; on an activation, only the rank-2 swap [batch, features] <->
 * [features, batch] (the data does not move, the layout flag flips) or an identity perm.
 */
export const transposeOp: OpImporter = (node, inputs) => {
  const x = required(node, inputs, 0)
  if (x.kind === 'opaque') return [OPAQUE]
  const rank = x.kind === 'constant' ? x.tensor.dims.length : x.shape.length + 1
  const perm = intsAttribute(node, 'perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i)
  if (perm.length !== rank || [...perm].sort((p, q) => p - q).some((axis, i) => axis !== i)) {
    throw new NodeProblem(`perm [${perm.join(', ')}] is not a permutation of ${rank} axes`)
  }
  if (x.kind === 'constant') return [permuteConstant(x.tensor, perm)]
  if (perm.every((axis, i) => axis === i)) return [x]
  if (rank > 2 && !x.transposed && perm[0] === 0) {
    // A permutation that keeps the order of the axes longer than 1 moves no data: a reshape.
    const dims = [1, ...x.shape]
    const moved = perm.filter((axis) => dims[axis] > 1)
    if (moved.every((axis, i) => i === 0 || moved[i - 1] < axis))
      return [
        reshaped(
          x,
          perm.map((axis) => dims[axis]),
        ),
      ]
  }
  if (rank !== 2) {
    throw new NodeProblem(
      `transposes an activation of rank ${rank} with perm [${perm.join(', ')}] (moves data): ` +
        'only the swap of a 2-D [batch, features] activation, or a permutation of size-1 axes, is supported',
    )
  }
  return [withLayout(x, !x.transposed)]
}

/** Reshape's target: 0 copies the input dim (unless allowzero), -1 is inferred. */
function resolveReshape(
  input: readonly number[],
  target: readonly number[],
  allowZero: boolean,
): number[] {
  const dims = target.map((dim, i) => (dim === 0 && !allowZero ? input[i] : dim))
  if (dims.some((dim) => dim === undefined))
    throw new NodeProblem('reshape copies a dimension that does not exist')
  const inferred = dims.indexOf(-1)
  if (inferred >= 0) {
    const known = dims.reduce((product, dim, i) => (i === inferred ? product : product * dim), 1)
    dims[inferred] = known === 0 ? 0 : sizeOf(input) / known
  }
  if (sizeOf(dims) !== sizeOf(input) || dims.some((dim) => !Number.isInteger(dim) || dim < 0)) {
    throw new NodeProblem(`cannot reshape [${input.join(', ')}] to [${target.join(', ')}]`)
  }
  return dims
}

export const flatten: OpImporter = (node, inputs) => {
  const x = required(node, inputs, 0)
  const dims = dimsOf(x)
  if (!dims) return [OPAQUE]
  const axis = intAttribute(node, 'axis', 1)
  const normalized = axis < 0 ? axis + dims.length : axis
  if (normalized < 0 || normalized > dims.length)
    throw new NodeProblem(`axis ${axis} is out of range`)
  const outer = sizeOf(dims.slice(0, normalized))
  return [reshaped(x, [outer, sizeOf(dims.slice(normalized))])]
}

export const reshape: OpImporter = (node, inputs) => {
  const x = required(node, inputs, 0)
  const shapeInput = inputs[1]
  const target = shapeInput
    ? Array.from(constantInput(node, shapeInput, 'the target shape').values)
    : intsAttribute(node, 'shape') // opset < 5
  if (!target) throw new NodeProblem('no target shape')
  const dims = dimsOf(x)
  if (!dims) return [OPAQUE]
  return [reshaped(x, resolveReshape(dims, target, intAttribute(node, 'allowzero', 0) !== 0))]
}

export const squeeze: OpImporter = (node, inputs) => {
  const x = required(node, inputs, 0)
  const dims = dimsOf(x)
  if (!dims) return [OPAQUE]
  const axes = axesOf(node, inputs)
  // Without axes every size-1 dim goes, except the batch of an activation (batch may be > 1).
  const first = x.kind === 'activation' ? 1 : 0
  const drop = new Set(
    axes
      ? axes.map((axis) => normalizeAxis(axis, dims.length))
      : dims.map((dim, i) => (dim === 1 && i >= first ? i : -1)).filter((i) => i >= 0),
  )
  if (x.kind === 'activation' && drop.has(0)) throw new NodeProblem('squeezes the batch dimension')
  if ([...drop].some((axis) => dims[axis] !== 1))
    throw new NodeProblem('squeezes a dimension that is not 1')
  return [
    reshaped(
      x,
      dims.filter((_, i) => !drop.has(i)),
    ),
  ]
}

export const unsqueeze: OpImporter = (node, inputs) => {
  const x = required(node, inputs, 0)
  const dims = dimsOf(x)
  if (!dims) return [OPAQUE]
  const axes = axesOf(node, inputs)
  if (!axes) throw new NodeProblem('no axes')
  const rank = dims.length + axes.length
  const inserted = new Set(axes.map((axis) => normalizeAxis(axis, rank)))
  if (x.kind === 'activation' && inserted.has(0))
    throw new NodeProblem('inserts a dimension before the batch')
  const out: number[] = []
  let next = 0
  for (let i = 0; i < rank; i++) out.push(inserted.has(i) ? 1 : dims[next++])
  return [reshaped(x, out)]
}
