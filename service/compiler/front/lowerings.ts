/**
 * LOWERINGS: one function per supported ONNX op, in one table. The supported set is
 * `Object.keys(LOWERINGS)`, so UnsupportedModelError's message and the docs cannot drift apart.
 *
 * A lowering maps the node's input values (symbolic-value.ts) to its output values. Ops on
 * constants are folded; ops on activations build affine maps and polynomials; anything else
 * throws NodeProblem with the reason.
 */
import {
  floatAttribute,
  intAttribute,
  intsAttribute,
  tensorAttribute,
} from '../../../onnx/attributes.ts'
import type { OnnxNode } from '../../../onnx/graph.ts'
import { composeLinear, addMaps, scaleAndShift } from './affine-map.ts'
import {
  broadcastShapes,
  combineConstants,
  expandTo,
  scalarValue,
  sizeOf,
  type ConstantTensor,
} from './constant-tensor.ts'
import type { LayerChain } from './layer-chain.ts'
import { NodeProblem } from './node-problem.ts'
import {
  addPolynomials,
  multiplyPolynomials,
  polynomialDegree,
  powerOfPolynomial,
  scalePolynomial,
} from './polynomial.ts'
import {
  OPAQUE,
  constantValue,
  linearActivation,
  type ActivationValue,
  type ConstantValue,
  type SymbolicValue,
} from './symbolic-value.ts'

/** Lowers one node: input values (undefined for omitted optional inputs) -> output values. */
export type Lowering = (
  node: OnnxNode,
  inputs: readonly (SymbolicValue | undefined)[],
  chain: LayerChain,
) => SymbolicValue[]

/** Largest integer exponent accepted by Pow (degree grows multiplicatively; HE depth follows). */
const MAX_POW_EXPONENT = 16

function required(
  node: OnnxNode,
  inputs: readonly (SymbolicValue | undefined)[],
  index: number,
): SymbolicValue {
  const value = inputs[index]
  if (!value) throw new NodeProblem(`input ${index} is missing`)
  return value
}

function constantInput(node: OnnxNode, value: SymbolicValue, what: string): ConstantTensor {
  if (value.kind !== 'constant') {
    throw new NodeProblem(
      `${what} must be a constant (an initializer or a Constant node), not a computed tensor`,
    )
  }
  return value.tensor
}

/** [batch, ...shape] (or [...shape, batch] if transposed) with the batch as 1. */
function fullDims(value: ActivationValue): number[] {
  return value.transposed ? [...value.shape, 1] : [1, ...value.shape]
}

/** Why an op other than element-wise arithmetic, Gemm(transA=1) or Transpose rejects `value`. */
const TRANSPOSED_REASON =
  'the input is a feature-major activation [features, batch] (a Transpose of a [batch, features] ' +
  'activation): only element-wise ops with scalars, Gemm with transA=1 and a Transpose back to ' +
  '[batch, features] are supported on it'

/** @throws NodeProblem when `value` is a feature-major (transposed) activation. */
function rejectTransposed(value: SymbolicValue | undefined): void {
  if (value?.kind === 'activation' && value.transposed) throw new NodeProblem(TRANSPOSED_REASON)
}

/** `value` with the layout (batch-first or feature-major) given by `transposed`. */
function withLayout(value: ActivationValue, transposed: boolean | undefined): ActivationValue {
  const copy: ActivationValue = { ...value }
  delete copy.transposed
  return transposed ? { ...copy, transposed: true } : copy
}

/** Shape after dropping the batch, checking the batch stayed first and single. */
function withoutBatch(dims: readonly number[], what: string): number[] {
  if (dims.length === 0 || dims[0] !== 1) {
    throw new NodeProblem(
      `${what} would move the batch dimension (result shape [${dims.join(', ')}] with batch 1)`,
    )
  }
  return dims.slice(1)
}

function reshapeActivation(value: ActivationValue, shape: number[]): ActivationValue {
  return { ...value, shape }
}

/** Any value whose data does not move: keep the data, change the shape. */
function reshaped(value: SymbolicValue, dims: number[]): SymbolicValue {
  if (value.kind === 'constant') return constantValue(dims, value.tensor.values)
  if (value.kind === 'activation')
    return reshapeActivation(value, withoutBatch(dims, 'the reshape'))
  return OPAQUE
}

function dimsOf(value: SymbolicValue): number[] | undefined {
  rejectTransposed(value)
  if (value.kind === 'constant') return value.tensor.dims
  if (value.kind === 'activation') return fullDims(value)
  return undefined
}

function normalizeAxis(axis: number, rank: number): number {
  const normalized = axis < 0 ? axis + rank : axis
  if (normalized < 0 || normalized >= rank)
    throw new NodeProblem(`axis ${axis} is out of range for rank ${rank}`)
  return normalized
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

/** Axes from the attribute (opset < 13) or the second input (opset >= 13). */
function axesOf(
  node: OnnxNode,
  inputs: readonly (SymbolicValue | undefined)[],
): number[] | undefined {
  const fromAttribute = intsAttribute(node, 'axes')
  if (fromAttribute) return fromAttribute
  const input = inputs[1]
  return input ? Array.from(constantInput(node, input, 'axes')?.values ?? []) : undefined
}

// ---- element-wise arithmetic ------------------------------------------------------------------

type Arithmetic = 'Add' | 'Sub' | 'Mul' | 'Div'

const COMBINE: Record<Arithmetic, (x: number, y: number) => number> = {
  Add: (x, y) => x + y,
  Sub: (x, y) => x - y,
  Mul: (x, y) => x * y,
  Div: (x, y) => x / y,
}

function withPolynomial(
  value: ActivationValue,
  polynomial: number[],
  node: OnnxNode,
): ActivationValue {
  return { ...value, polynomial, polynomialNodes: [...value.polynomialNodes, node.name] }
}

/** activation (op) constant, or constant (op) activation when `activationFirst` is false. */
function arithmeticWithConstant(
  op: Arithmetic,
  activation: ActivationValue,
  constant: ConstantTensor,
  activationFirst: boolean,
  node: OnnxNode,
  chain: LayerChain,
): SymbolicValue {
  chain.assertCurrent(activation)
  if (op === 'Div' && !activationFirst) {
    throw new NodeProblem('divides by a computed tensor: not a polynomial')
  }
  const full = fullDims(activation)
  const broadcast = broadcastShapes(full, constant.dims)
  if (
    !broadcast ||
    broadcast.length !== full.length ||
    broadcast.some((dim, i) => dim !== full[i])
  ) {
    throw new NodeProblem(
      `constant of shape [${constant.dims.join(', ')}] broadcasts the activation of shape [batch, ${activation.shape.join(', ')}]`,
    )
  }
  const p = activation.polynomial
  const scalar = scalarValue(constant)
  if (scalar === undefined && activation.transposed) {
    throw new NodeProblem(
      `constant of shape [${constant.dims.join(', ')}] is not a scalar: ${TRANSPOSED_REASON}`,
    )
  }
  if (scalar !== undefined) {
    // A scalar keeps the base, so 0.25*x*x + 0.5*x stays one polynomial of one tensor.
    switch (op) {
      case 'Add':
        return withPolynomial(activation, addPolynomials(p, [scalar]), node)
      case 'Sub':
        return withPolynomial(
          activation,
          activationFirst
            ? addPolynomials(p, [-scalar])
            : addPolynomials(scalePolynomial(p, -1), [scalar]),
          node,
        )
      case 'Mul':
        return withPolynomial(activation, scalePolynomial(p, scalar), node)
      case 'Div':
        if (scalar === 0) throw new NodeProblem('divides by zero')
        return withPolynomial(activation, scalePolynomial(p, 1 / scalar), node)
    }
  }
  // A per-element constant: an affine step (commits a degree >= 2 polynomial first).
  const values = expandTo(constant, full)
  const size = values.length
  const map = chain.affineOf(activation)
  const ones = new Float64Array(size).fill(1)
  const zeros = new Float64Array(size)
  let next
  switch (op) {
    case 'Add':
      next = scaleAndShift(map, ones, values, [node.name])
      break
    case 'Sub':
      next = activationFirst
        ? scaleAndShift(
            map,
            ones,
            values.map((v) => -v),
            [node.name],
          )
        : scaleAndShift(
            map,
            ones.map(() => -1),
            values,
            [node.name],
          )
      break
    case 'Mul':
      next = scaleAndShift(map, values, zeros, [node.name])
      break
    case 'Div':
      if (values.some((v) => v === 0)) throw new NodeProblem('divides by zero')
      next = scaleAndShift(
        map,
        values.map((v) => 1 / v),
        zeros,
        [node.name],
      )
      break
  }
  return linearActivation(next, activation.shape, chain.generation)
}

function arithmeticOfActivations(
  op: Arithmetic,
  left: ActivationValue,
  right: ActivationValue,
  node: OnnxNode,
  chain: LayerChain,
): SymbolicValue {
  chain.assertCurrent(left)
  chain.assertCurrent(right)
  if (left.transposed !== right.transposed) {
    throw new NodeProblem(
      'combines a feature-major activation [features, batch] with a batch-first one [batch, features]',
    )
  }
  if (
    left.shape.length !== right.shape.length ||
    left.shape.some((dim, i) => dim !== right.shape[i])
  ) {
    throw new NodeProblem(
      `broadcasts between two computed tensors ([${left.shape.join(', ')}] and [${right.shape.join(', ')}])`,
    )
  }
  if (op === 'Div') throw new NodeProblem('divides by a computed tensor: not a polynomial')
  const nodes = [...new Set([...left.polynomialNodes, ...right.polynomialNodes, node.name])]
  if (left.base === right.base) {
    const polynomial =
      op === 'Mul'
        ? multiplyPolynomials(left.polynomial, right.polynomial)
        : addPolynomials(
            left.polynomial,
            op === 'Sub' ? scalePolynomial(right.polynomial, -1) : right.polynomial,
          )
    return { ...left, polynomial, polynomialNodes: nodes }
  }
  if (op === 'Mul') {
    throw new NodeProblem(
      'multiplies two different tensors: only element-wise polynomials of one tensor (x*x, a*x*x + b*x) are supported',
    )
  }
  if (polynomialDegree(left.polynomial) > 1 || polynomialDegree(right.polynomial) > 1) {
    throw new NodeProblem(
      'adds a polynomial of one tensor to a different tensor: not a chain of layers',
    )
  }
  const rightMap = chain.affineOf(right)
  const signedRight =
    op === 'Sub'
      ? scaleAndShift(
          rightMap,
          new Float64Array(rightMap.outSize).fill(-1),
          new Float64Array(rightMap.outSize),
          [],
        )
      : rightMap
  return withLayout(
    linearActivation(
      addMaps(chain.affineOf(left), signedRight, node.name),
      left.shape,
      chain.generation,
    ),
    left.transposed,
  )
}

function arithmetic(op: Arithmetic): Lowering {
  return (node, inputs, chain) => {
    const left = required(node, inputs, 0)
    const right = required(node, inputs, 1)
    if (left.kind === 'constant' && right.kind === 'constant') {
      const folded = combineConstants(left.tensor, right.tensor, COMBINE[op])
      if (!folded) throw new NodeProblem('constant shapes do not broadcast')
      return [{ kind: 'constant', tensor: folded }]
    }
    if (op === 'Div' && right.kind !== 'constant') {
      throw new NodeProblem('divides by a computed tensor: not a polynomial')
    }
    if (left.kind === 'opaque' || right.kind === 'opaque') return [OPAQUE]
    if (left.kind === 'activation' && right.kind === 'activation') {
      return [arithmeticOfActivations(op, left, right, node, chain)]
    }
    return left.kind === 'activation'
      ? [arithmeticWithConstant(op, left, (right as ConstantValue).tensor, true, node, chain)]
      : [arithmeticWithConstant(op, right as ActivationValue, left.tensor, false, node, chain)]
  }
}

// ---- linear algebra ---------------------------------------------------------------------------

/** Row-major transpose of a rows x cols matrix. */
function transpose(values: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(values.length)
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) out[j * rows + i] = values[i * cols + j]
  return out
}

const gemm: Lowering = (node, inputs, chain) => {
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

const matMul: Lowering = (node, inputs, chain) => {
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

const batchNormalization: Lowering = (node, inputs, chain) => {
  const x = required(node, inputs, 0)
  if (intAttribute(node, 'training_mode', 0) !== 0)
    throw new NodeProblem('training_mode=1 is not inference')
  const [scale, shift, mean, variance] = [1, 2, 3, 4].map((i) =>
    constantInput(node, required(node, inputs, i), ['', 'scale', 'B', 'mean', 'var'][i]),
  )
  const epsilon = floatAttribute(node, 'epsilon', 1e-5)
  if (x.kind !== 'activation') {
    if (x.kind === 'opaque') return [OPAQUE]
    throw new NodeProblem('BatchNormalization of a constant is not folded')
  }
  rejectTransposed(x)
  if (x.shape.length === 0) throw new NodeProblem('input has no channel dimension')
  const channels = x.shape[0]
  const spatial = sizeOf(x.shape) / channels
  if ([scale, shift, mean, variance].some((t) => t.values.length !== channels)) {
    throw new NodeProblem(`parameters must have ${channels} values (one per channel)`)
  }
  const size = sizeOf(x.shape)
  const factor = new Float64Array(size)
  const offset = new Float64Array(size)
  for (let c = 0; c < channels; c++) {
    const f = scale.values[c] / Math.sqrt(variance.values[c] + epsilon)
    for (let s = 0; s < spatial; s++) {
      factor[c * spatial + s] = f
      offset[c * spatial + s] = shift.values[c] - mean.values[c] * f
    }
  }
  const map = scaleAndShift(chain.affineOf(x), factor, offset, [node.name])
  return [linearActivation(map, x.shape, chain.generation)]
}

// ---- powers ----------------------------------------------------------------------------------

const pow: Lowering = (node, inputs, chain) => {
  const base = required(node, inputs, 0)
  const exponentTensor = constantInput(node, required(node, inputs, 1), 'the exponent')
  const exponent = scalarValue(exponentTensor)
  if (base.kind === 'constant') {
    const folded = combineConstants(base.tensor, exponentTensor, Math.pow)
    if (!folded) throw new NodeProblem('constant shapes do not broadcast')
    return [{ kind: 'constant', tensor: folded }]
  }
  if (exponent === undefined) {
    throw new NodeProblem(
      `the exponent has shape [${exponentTensor.dims.join(', ')}]: it must be a scalar`,
    )
  }
  if (!Number.isInteger(exponent) || exponent < 1 || exponent > MAX_POW_EXPONENT) {
    throw new NodeProblem(
      `the exponent is ${exponent}: it must be an integer from 1 to ${MAX_POW_EXPONENT}`,
    )
  }
  if (base.kind === 'opaque') return [OPAQUE]
  chain.assertCurrent(base)
  return [withPolynomial(base, powerOfPolynomial(base.polynomial, exponent), node)]
}

// ---- data-free shape ops ---------------------------------------------------------------------

const passThrough: Lowering = (node, inputs) => [required(node, inputs, 0)]

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
const transposeOp: Lowering = (node, inputs) => {
  const x = required(node, inputs, 0)
  if (x.kind === 'opaque') return [OPAQUE]
  const rank = x.kind === 'constant' ? x.tensor.dims.length : x.shape.length + 1
  const perm = intsAttribute(node, 'perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i)
  if (perm.length !== rank || [...perm].sort((p, q) => p - q).some((axis, i) => axis !== i)) {
    throw new NodeProblem(`perm [${perm.join(', ')}] is not a permutation of ${rank} axes`)
  }
  if (x.kind === 'constant') return [permuteConstant(x.tensor, perm)]
  if (perm.every((axis, i) => axis === i)) return [x]
  if (rank !== 2) {
    throw new NodeProblem(
      `transposes an activation of rank ${rank} with perm [${perm.join(', ')}] (moves data): ` +
        'only the swap of a 2-D [batch, features] activation is supported',
    )
  }
  return [withLayout(x, !x.transposed)]
}

const flatten: Lowering = (node, inputs) => {
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

const reshape: Lowering = (node, inputs) => {
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

const squeeze: Lowering = (node, inputs) => {
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

const unsqueeze: Lowering = (node, inputs) => {
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

// ---- constants and shape arithmetic (folded) -------------------------------------------------

const constant: Lowering = (node) => {
  const tensor = tensorAttribute(node, 'value')
  if (tensor) return [constantValue([...tensor.dims], Float64Array.from(tensor.values))]
  const attribute = Object.entries(node.attributes)[0]
  if (attribute) {
    const [name, value] = attribute
    if (
      (name === 'value_float' || name === 'value_int') &&
      (value.kind === 'float' || value.kind === 'int')
    ) {
      return [constantValue([], Float64Array.of(value.value))]
    }
    if (
      (name === 'value_floats' || name === 'value_ints') &&
      (value.kind === 'floats' || value.kind === 'ints')
    ) {
      return [constantValue([value.value.length], Float64Array.from(value.value))]
    }
  }
  throw new NodeProblem(
    'only numeric dense constants (value, value_float(s), value_int(s)) are supported',
  )
}

const shape: Lowering = (node, inputs) => {
  const x = required(node, inputs, 0)
  const dims = dimsOf(x)
  if (!dims) return [OPAQUE]
  const start = normalizeSliceBound(intAttribute(node, 'start', 0), dims.length)
  const end = normalizeSliceBound(intAttribute(node, 'end', dims.length), dims.length)
  // An activation's batch reads as 1: shape arithmetic then reshapes with batch 1, which
  // withoutBatch() checks, so the result holds for every batch size.
  const selected = dims.slice(start, end)
  return [constantValue([selected.length], Float64Array.from(selected))]
}

function normalizeSliceBound(bound: number, rank: number): number {
  return Math.min(Math.max(bound < 0 ? bound + rank : bound, 0), rank)
}

const gather: Lowering = (node, inputs) => {
  const data = required(node, inputs, 0)
  if (data.kind === 'opaque') return [OPAQUE]
  if (data.kind === 'activation')
    throw new NodeProblem('gathers from a computed tensor (moves data)')
  const indices = constantInput(node, required(node, inputs, 1), 'indices')
  const dims = data.tensor.dims
  const axis = normalizeAxis(intAttribute(node, 'axis', 0), dims.length)
  const outer = sizeOf(dims.slice(0, axis))
  const inner = sizeOf(dims.slice(axis + 1))
  const count = dims[axis]
  const out: number[] = []
  for (let o = 0; o < outer; o++) {
    for (const raw of indices.values) {
      const index = raw < 0 ? raw + count : raw
      if (index < 0 || index >= count) throw new NodeProblem(`index ${raw} is out of range`)
      for (let i = 0; i < inner; i++) out.push(data.tensor.values[(o * count + index) * inner + i])
    }
  }
  return [
    constantValue(
      [...dims.slice(0, axis), ...indices.dims, ...dims.slice(axis + 1)],
      Float64Array.from(out),
    ),
  ]
}

const concat: Lowering = (node, inputs) => {
  const values = inputs.filter((value): value is SymbolicValue => value !== undefined)
  if (values.some((value) => value.kind === 'opaque')) return [OPAQUE]
  if (values.some((value) => value.kind === 'activation')) {
    throw new NodeProblem('concatenates computed tensors (moves data)')
  }
  const tensors = values.map((value) => (value as ConstantValue).tensor)
  const rank = tensors[0]?.dims.length ?? 0
  const axis = normalizeAxis(intAttribute(node, 'axis', 0), rank)
  const outer = sizeOf(tensors[0].dims.slice(0, axis))
  const out: number[] = []
  for (let o = 0; o < outer; o++) {
    for (const tensor of tensors) {
      const block = sizeOf(tensor.dims.slice(axis))
      out.push(...tensor.values.subarray(o * block, (o + 1) * block))
    }
  }
  const dims = [...tensors[0].dims]
  dims[axis] = tensors.reduce((sum, tensor) => sum + tensor.dims[axis], 0)
  return [constantValue(dims, Float64Array.from(out))]
}

const FLOAT_TYPES = new Set([1, 10, 11]) // float, float16, double

const cast: Lowering = (node, inputs) => {
  const x = required(node, inputs, 0)
  const to = intAttribute(node, 'to', 1)
  if (x.kind === 'constant') {
    return [FLOAT_TYPES.has(to) ? x : constantValue(x.tensor.dims, x.tensor.values.map(Math.trunc))]
  }
  if (x.kind === 'activation' && !FLOAT_TYPES.has(to))
    throw new NodeProblem(`casts an activation to type ${to}`)
  return [x]
}

const neg: Lowering = (node, inputs, chain) =>
  arithmetic('Mul')(
    node,
    [required(node, inputs, 0), constantValue([], Float64Array.of(-1))],
    chain,
  )

/**
 * The supported ONNX ops (default domain). Order is the order the error message lists them in.
 */
export const LOWERINGS: Readonly<Record<string, Lowering>> = {
  Gemm: gemm,
  MatMul: matMul,
  Add: arithmetic('Add'),
  Sub: arithmetic('Sub'),
  Mul: arithmetic('Mul'),
  Div: arithmetic('Div'),
  Neg: neg,
  Pow: pow,
  BatchNormalization: batchNormalization,
  Identity: passThrough,
  Dropout: passThrough,
  Flatten: flatten,
  Reshape: reshape,
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Transpose: transposeOp,
  Constant: constant,
  Shape: shape,
  Gather: gather,
  Concat: concat,
  Cast: cast,
}

/** Names of the supported ops, for messages and docs. */
export const SUPPORTED_OPS: readonly string[] = Object.keys(LOWERINGS)
