/**
 * Element-wise arithmetic: Add, Sub, Mul, Div (numpy broadcasting, opset 7+; opset 6's
 * `broadcast`/`axis` attributes are not read), Neg and Pow with a constant integer exponent.
 *
 * With a scalar constant the op stays inside the activation's polynomial (0.25*x*x + 0.5*x is one
 * polynomial of one tensor); with a per-element constant it is an affine step of the base map.
 * Mul of two values of the same base multiplies their polynomials (x*x); a product of two
 * different tensors, or a division by a computed tensor, is not a polynomial and is rejected.
 */
import type { OnnxNode } from '../../../../onnx/graph.ts'
import { addMaps, scaleAndShift } from '../affine-map.ts'
import {
  broadcastShapes,
  combineConstants,
  expandTo,
  scalarValue,
  type ConstantTensor,
} from '../constant-tensor.ts'
import type { LayerChain } from '../layer-chain.ts'
import { NodeProblem } from '../node-problem.ts'
import {
  TRANSPOSED_REASON,
  constantInput,
  fullDims,
  required,
  withElementwise,
  withLayout,
  type OpImporter,
} from '../op-importer.ts'
import {
  addElementwise,
  multiplyElementwise,
  polynomialElementwise,
  polynomialOf,
} from '../../elementwise.ts'
import { polynomialDegree, powerOfPolynomial } from '../polynomial.ts'
import {
  OPAQUE,
  constantValue,
  linearActivation,
  type ActivationValue,
  type ConstantValue,
  type SymbolicValue,
} from '../symbolic-value.ts'

/** Largest integer exponent accepted by Pow (degree grows multiplicatively; HE depth follows). */
const MAX_POW_EXPONENT = 16

type Arithmetic = 'Add' | 'Sub' | 'Mul' | 'Div'

const COMBINE: Record<Arithmetic, (x: number, y: number) => number> = {
  Add: (x, y) => x + y,
  Sub: (x, y) => x - y,
  Mul: (x, y) => x * y,
  Div: (x, y) => x / y,
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
  const f = activation.elementwise
  const scalar = scalarValue(constant)
  if (scalar === undefined && activation.transposed) {
    throw new NodeProblem(
      `constant of shape [${constant.dims.join(', ')}] is not a scalar: ${TRANSPOSED_REASON}`,
    )
  }
  if (scalar !== undefined) {
    // A scalar keeps the base, so 0.25*x*x + 0.5*x stays one polynomial of one tensor (and
    // 0.5*x*(1 + erf(x/1.414)) one function of one tensor).
    const constant = (c: number) => polynomialElementwise([c])
    switch (op) {
      case 'Add':
        return withElementwise(activation, addElementwise(f, constant(scalar)), node)
      case 'Sub':
        return withElementwise(
          activation,
          activationFirst
            ? addElementwise(f, constant(-scalar))
            : addElementwise(multiplyElementwise(f, constant(-1)), constant(scalar)),
          node,
        )
      case 'Mul':
        return withElementwise(activation, multiplyElementwise(f, constant(scalar)), node)
      case 'Div':
        if (scalar === 0) throw new NodeProblem('divides by zero')
        return withElementwise(activation, multiplyElementwise(f, constant(1 / scalar)), node)
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
  const nodes = [...new Set([...left.elementwiseNodes, ...right.elementwiseNodes, node.name])]
  if (left.base === right.base) {
    const elementwise =
      op === 'Mul'
        ? multiplyElementwise(left.elementwise, right.elementwise)
        : addElementwise(
            left.elementwise,
            op === 'Sub'
              ? multiplyElementwise(right.elementwise, polynomialElementwise([-1]))
              : right.elementwise,
          )
    return { ...left, elementwise, elementwiseNodes: nodes }
  }
  if (op === 'Mul') {
    throw new NodeProblem(
      'multiplies two different tensors: only element-wise polynomials of one tensor (x*x, a*x*x + b*x) are supported',
    )
  }
  const isAffine = (value: ActivationValue) => {
    const polynomial = polynomialOf(value.elementwise)
    return polynomial !== undefined && polynomialDegree(polynomial) <= 1
  }
  if (!isAffine(left) || !isAffine(right)) {
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

function arithmetic(op: Arithmetic): OpImporter {
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

export const add = arithmetic('Add')
export const sub = arithmetic('Sub')
export const mul = arithmetic('Mul')
export const div = arithmetic('Div')

export const neg: OpImporter = (node, inputs, chain) =>
  mul(node, [required(node, inputs, 0), constantValue([], Float64Array.of(-1))], chain)

export const pow: OpImporter = (node, inputs, chain) => {
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
  const polynomial = polynomialOf(base.elementwise)
  let power = polynomialElementwise([1])
  if (polynomial !== undefined)
    power = polynomialElementwise(powerOfPolynomial(polynomial, exponent))
  else for (let k = 0; k < exponent; k++) power = multiplyElementwise(power, base.elementwise)
  return [withElementwise(base, power, node)]
}
