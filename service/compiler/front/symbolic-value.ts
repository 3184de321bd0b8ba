/**
 * What the symbolic pass knows about each ONNX tensor.
 *
 * - constant: an initializer, a Constant output, or shape arithmetic folded from them.
 * - activation: f(u) element-wise, where u = base(v) is an affine map of the frontier v (the model
 *   input, or the output of the latest committed activation layer) and f an element-wise function
 *   (../elementwise.ts: a polynomial, or e.g. sigmoid(u)·u). A linear op keeps a polynomial f of
 *   degree <= 1 folded into a new base; Mul/Pow/Add of tensors with the same base combine their
 *   functions; anything that needs a linear view of any other f commits it (emits
 *   LinearLayer(base) + PolyLayer(f) or ActivationLayer(f)) and moves the frontier.
 * - opaque: the output of a node that could not be imported (its problem is already recorded);
 *   it lets the pass continue to find every other problem without follow-up noise.
 */
import type { AffineMap } from './affine-map.ts'
import type { ConstantTensor } from './constant-tensor.ts'
import { polynomialElementwise, type Elementwise } from '../elementwise.ts'
import { IDENTITY_POLYNOMIAL } from './polynomial.ts'

export interface ConstantValue {
  kind: 'constant'
  tensor: ConstantTensor
}

export interface ActivationValue {
  kind: 'activation'
  /**
   * Shape without the batch dimension (the full ONNX shape is [batch, ...shape], or
   * [...shape, batch] when `transposed`).
   */
  shape: readonly number[]
  /**
   * Feature-major: a rank-1-feature activation laid out [features, batch], as a Transpose (perm
   * [1, 0]) of a [batch, features] activation gives it. Only element-wise scalar/polynomial ops,
   * Gemm with transA=1 and a Transpose back accept it; the data (base, function) is unchanged.
   */
  transposed?: true
  /** Frontier generation: values of an older generation were computed before the latest activation layer. */
  generation: number
  base: AffineMap
  elementwise: Elementwise
  /** Nodes that built `elementwise` (for layer names). */
  elementwiseNodes: readonly string[]
}

export interface OpaqueValue {
  kind: 'opaque'
}

export type SymbolicValue = ConstantValue | ActivationValue | OpaqueValue

export const OPAQUE: OpaqueValue = { kind: 'opaque' }

export function constantValue(dims: number[], values: Float64Array): ConstantValue {
  return { kind: 'constant', tensor: { dims, values } }
}

/** An activation equal to its base (p = x). */
export function linearActivation(
  base: AffineMap,
  shape: readonly number[],
  generation: number,
): ActivationValue {
  return {
    kind: 'activation',
    shape,
    generation,
    base,
    elementwise: polynomialElementwise(IDENTITY_POLYNOMIAL),
    elementwiseNodes: [],
  }
}
