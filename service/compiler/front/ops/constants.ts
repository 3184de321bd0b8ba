/**
 * Constants and shape arithmetic, folded at import: Constant (value, value_float(s), value_int(s)),
 * Shape (start/end of opset 15), Gather, Concat and Cast of constants. On an activation, Shape reads
 * its dims (batch 1), Cast to a float type is the identity, and Gather/Concat (which move data) are
 * rejected.
 */
import { intAttribute, tensorAttribute } from '../../../../onnx/attributes.ts'
import { sizeOf } from '../constant-tensor.ts'
import { NodeProblem } from '../node-problem.ts'
import { constantInput, dimsOf, normalizeAxis, required, type OpImporter } from '../op-importer.ts'
import { OPAQUE, constantValue, type ConstantValue, type SymbolicValue } from '../symbolic-value.ts'

export const constant: OpImporter = (node) => {
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

export const shape: OpImporter = (node, inputs) => {
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

export const gather: OpImporter = (node, inputs) => {
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

export const concat: OpImporter = (node, inputs) => {
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

export const cast: OpImporter = (node, inputs) => {
  const x = required(node, inputs, 0)
  const to = intAttribute(node, 'to', 1)
  if (x.kind === 'constant') {
    return [FLOAT_TYPES.has(to) ? x : constantValue(x.tensor.dims, x.tensor.values.map(Math.trunc))]
  }
  if (x.kind === 'activation' && !FLOAT_TYPES.has(to))
    throw new NodeProblem(`casts an activation to type ${to}`)
  return [x]
}
