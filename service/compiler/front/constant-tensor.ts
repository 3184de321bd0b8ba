/**
 * Constant tensors during import (initializers, Constant outputs, folded shape arithmetic) and
 * the numpy-style broadcasting the element-wise ONNX ops use.
 */

/** A constant: full ONNX dims (no batch convention) and row-major values. */
export interface ConstantTensor {
  dims: number[]
  values: Float64Array
}

/** Element count of a shape (1 for 0-d). */
export function sizeOf(dims: readonly number[]): number {
  return dims.reduce((product, dim) => product * dim, 1)
}

/** Numpy broadcast of two shapes, or undefined when they are incompatible. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] | undefined {
  const rank = Math.max(a.length, b.length)
  const shape: number[] = []
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1
    const db = b[b.length - rank + i] ?? 1
    if (da !== db && da !== 1 && db !== 1) return undefined
    shape.push(da === 1 ? db : da)
  }
  return shape
}

/** Row-major strides of `dims` aligned to `target` (0 where a dim is broadcast). */
function broadcastStrides(dims: readonly number[], target: readonly number[]): number[] {
  const strides = new Array<number>(target.length).fill(0)
  let stride = 1
  for (let i = dims.length - 1; i >= 0; i--) {
    const axis = target.length - dims.length + i
    strides[axis] = dims[i] === 1 ? 0 : stride
    stride *= dims[i]
  }
  return strides
}

/** Values of `tensor` broadcast to `target` dims (caller checked compatibility). */
export function expandTo(tensor: ConstantTensor, target: readonly number[]): Float64Array {
  const strides = broadcastStrides(tensor.dims, target)
  const out = new Float64Array(sizeOf(target))
  const index = new Array<number>(target.length).fill(0)
  for (let flat = 0; flat < out.length; flat++) {
    let source = 0
    for (let axis = 0; axis < target.length; axis++) source += index[axis] * strides[axis]
    out[flat] = tensor.values[source]
    for (let axis = target.length - 1; axis >= 0; axis--) {
      if (++index[axis] < target[axis]) break
      index[axis] = 0
    }
  }
  return out
}

/** Element-wise f(a, b) with broadcasting; undefined when the shapes are incompatible. */
export function combineConstants(
  a: ConstantTensor,
  b: ConstantTensor,
  combine: (x: number, y: number) => number,
): ConstantTensor | undefined {
  const dims = broadcastShapes(a.dims, b.dims)
  if (!dims) return undefined
  const left = expandTo(a, dims)
  const right = expandTo(b, dims)
  return { dims, values: left.map((x, i) => combine(x, right[i])) }
}

/** The single value of a one-element tensor (any rank), else undefined. */
export function scalarValue(tensor: ConstantTensor): number | undefined {
  return tensor.values.length === 1 ? tensor.values[0] : undefined
}
