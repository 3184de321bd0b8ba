/**
 * Activations that are not polynomials: Relu, LeakyRelu (alpha), Sigmoid, Tanh, Erf and Gelu
 * (opset 20; approximate 'none' or 'tanh'). On an activation they compose with its element-wise
 * function (../../elementwise.ts), so torch's SiLU (Mul(x, Sigmoid(x))) and GELU (Div, Erf, Add,
 * Mul, Mul) stay one function of one tensor; the compiler fits a polynomial in place of the whole
 * function on the calibrated range (approximate-activations.ts). On a constant they are folded.
 */
import { floatAttribute, stringAttribute } from '../../../../onnx/attributes.ts'
import type { OnnxNode } from '../../../../onnx/graph.ts'
import {
  addElementwise,
  applyFunction,
  evaluateElementwise,
  multiplyElementwise,
  polynomialElementwise,
  type ActivationFunction,
  type Elementwise,
} from '../../elementwise.ts'
import { NodeProblem } from '../node-problem.ts'
import { required, withElementwise, type OpImporter } from '../op-importer.ts'
import { OPAQUE, constantValue, type SymbolicValue } from '../symbolic-value.ts'

/** f applied to the input's function; constants folded. */
function unary(build: (node: OnnxNode, x: Elementwise) => Elementwise): OpImporter {
  return (node, inputs, chain) => {
    const x = required(node, inputs, 0)
    if (x.kind === 'opaque') return [OPAQUE]
    const identity = polynomialElementwise([0, 1])
    if (x.kind === 'constant') {
      const f = build(node, identity)
      const values = x.tensor.values.map((v) => evaluateElementwise(f, v))
      return [constantValue(x.tensor.dims, values) as SymbolicValue]
    }
    chain.assertCurrent(x)
    return [withElementwise(x, build(node, x.elementwise), node)]
  }
}

const simple = (name: ActivationFunction): OpImporter => unary((_node, x) => applyFunction(name, x))

export const relu = simple('relu')
export const sigmoid = simple('sigmoid')
export const tanh = simple('tanh')
export const erf = simple('erf')

export const leakyRelu: OpImporter = unary((node, x) =>
  applyFunction('leakyRelu', x, floatAttribute(node, 'alpha', 0.01)),
)

/** Gelu (opset 20): x·Φ(x) = x · 0.5 · (1 + erf(x/√2)), or the tanh form. */
export const gelu: OpImporter = unary((node, x) => {
  const approximate = stringAttribute(node, 'approximate') ?? 'none'
  const half = polynomialElementwise([0.5])
  if (approximate === 'none') {
    const inner = applyFunction(
      'erf',
      multiplyElementwise(x, polynomialElementwise([Math.SQRT1_2])),
    )
    return multiplyElementwise(
      multiplyElementwise(x, half),
      addElementwise(inner, polynomialElementwise([1])),
    )
  }
  if (approximate === 'tanh') {
    // 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))
    const cubic = addElementwise(
      x,
      multiplyElementwise(
        polynomialElementwise([0.044715]),
        multiplyElementwise(x, multiplyElementwise(x, x)),
      ),
    )
    const inner = applyFunction(
      'tanh',
      multiplyElementwise(cubic, polynomialElementwise([Math.sqrt(2 / Math.PI)])),
    )
    return multiplyElementwise(
      multiplyElementwise(x, half),
      addElementwise(inner, polynomialElementwise([1])),
    )
  }
  throw new NodeProblem(`approximate='${approximate}' is not 'none' or 'tanh'`)
})
