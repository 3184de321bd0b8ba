/**
 * OpImporter: how one ONNX node is imported (ONNX -> layer IR), and the helpers the op families in
 * ops/ share to read their inputs. An importer maps the node's input values (symbolic-value.ts) to
 * its output values: ops on constants are folded; ops on activations build affine maps and
 * polynomials; anything else throws NodeProblem with the reason.
 */
import { intsAttribute } from '../../../onnx/attributes.ts'
import type { OnnxNode } from '../../../onnx/graph.ts'
import type { Elementwise } from '../elementwise.ts'
import type { ConstantTensor } from './constant-tensor.ts'
import type { LayerChain } from './layer-chain.ts'
import { NodeProblem } from './node-problem.ts'
import {
  OPAQUE,
  constantValue,
  type ActivationValue,
  type SymbolicValue,
} from './symbolic-value.ts'

/** Input values of a node (undefined for omitted optional inputs). */
export type OpInputs = readonly (SymbolicValue | undefined)[]

/** Imports one node: input values -> output values (one per node output). */
export type OpImporter = (node: OnnxNode, inputs: OpInputs, chain: LayerChain) => SymbolicValue[]

/** @throws NodeProblem when input `index` is omitted. */
export function required(_node: OnnxNode, inputs: OpInputs, index: number): SymbolicValue {
  const value = inputs[index]
  if (!value) throw new NodeProblem(`input ${index} is missing`)
  return value
}

/** @throws NodeProblem when `value` is not a constant; `what` names the input in the message. */
export function constantInput(_node: OnnxNode, value: SymbolicValue, what: string): ConstantTensor {
  if (value.kind !== 'constant') {
    throw new NodeProblem(
      `${what} must be a constant (an initializer or a Constant node), not a computed tensor`,
    )
  }
  return value.tensor
}

/** [batch, ...shape] (or [...shape, batch] if transposed) with the batch as 1. */
export function fullDims(value: ActivationValue): number[] {
  return value.transposed ? [...value.shape, 1] : [1, ...value.shape]
}

/** Why an op other than element-wise arithmetic, Gemm(transA=1) or Transpose rejects `value`. */
export const TRANSPOSED_REASON =
  'the input is a feature-major activation [features, batch] (a Transpose of a [batch, features] ' +
  'activation): only element-wise ops with scalars, Gemm with transA=1 and a Transpose back to ' +
  '[batch, features] are supported on it'

/** @throws NodeProblem when `value` is a feature-major (transposed) activation. */
export function rejectTransposed(value: SymbolicValue | undefined): void {
  if (value?.kind === 'activation' && value.transposed) throw new NodeProblem(TRANSPOSED_REASON)
}

/** `value` with the layout (batch-first or feature-major) given by `transposed`. */
export function withLayout(
  value: ActivationValue,
  transposed: boolean | undefined,
): ActivationValue {
  const copy: ActivationValue = { ...value }
  delete copy.transposed
  return transposed ? { ...copy, transposed: true } : copy
}

/** `value` with its element-wise function replaced, `node` recorded among its nodes. */
export function withElementwise(
  value: ActivationValue,
  elementwise: Elementwise,
  node: OnnxNode,
): ActivationValue {
  return { ...value, elementwise, elementwiseNodes: [...value.elementwiseNodes, node.name] }
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

/** Any value whose data does not move: keep the data, change the shape. */
export function reshaped(value: SymbolicValue, dims: number[]): SymbolicValue {
  if (value.kind === 'constant') return constantValue(dims, value.tensor.values)
  if (value.kind === 'activation') return { ...value, shape: withoutBatch(dims, 'the reshape') }
  return OPAQUE
}

/** Full dims of a constant or an activation (batch 1); undefined for an opaque value. */
export function dimsOf(value: SymbolicValue): number[] | undefined {
  rejectTransposed(value)
  if (value.kind === 'constant') return value.tensor.dims
  if (value.kind === 'activation') return fullDims(value)
  return undefined
}

/** `axis` in [0, rank) (negative counts from the end). @throws NodeProblem when out of range. */
export function normalizeAxis(axis: number, rank: number): number {
  const normalized = axis < 0 ? axis + rank : axis
  if (normalized < 0 || normalized >= rank)
    throw new NodeProblem(`axis ${axis} is out of range for rank ${rank}`)
  return normalized
}

/** Axes from the attribute (opset < 13) or the second input (opset >= 13). */
export function axesOf(node: OnnxNode, inputs: OpInputs): number[] | undefined {
  const fromAttribute = intsAttribute(node, 'axes')
  if (fromAttribute) return fromAttribute
  const input = inputs[1]
  return input ? Array.from(constantInput(node, input, 'axes')?.values ?? []) : undefined
}
