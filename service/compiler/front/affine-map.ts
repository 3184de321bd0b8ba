/**
 * Affine maps y = W x + b on flattened (row-major) vectors: what a chain of linear ONNX ops
 * (Gemm, MatMul, Add of a bias, Mul by a constant, ...) amounts to before the next activation.
 */
import { composeWindows, type WindowGeometry } from '../../../core/layout/window-geometry.ts'
import type { Polynomial } from './polynomial.ts'

export interface AffineMap {
  inSize: number
  outSize: number
  /** Row-major outSize x inSize; null for the identity (then inSize === outSize). */
  weights: Float64Array | null
  bias: Float64Array
  /** ONNX node names folded into this map, in order. */
  nodes: readonly string[]
  /**
   * Window geometry when the map is a window map on NCHW tensors (Conv, AveragePool, Pad and
   * per-channel scalings of them): composed along, dropped by any other linear op.
   */
  window?: WindowGeometry
  /** The map is exactly an average pool (kernel = stride, no padding) of the frontier. */
  averagePool?: true
}

/** x -> x on vectors of `size` elements. */
export function identityMap(size: number): AffineMap {
  return { inSize: size, outSize: size, weights: null, bias: new Float64Array(size), nodes: [] }
}

/** True when the map is x -> x (no weights, zero bias). */
export function isIdentityMap(map: AffineMap): boolean {
  return map.weights === null && map.bias.every((value) => value === 0)
}

/** The weights as a dense matrix (materializes the identity). */
export function denseWeights(map: AffineMap): Float64Array {
  if (map.weights) return map.weights
  const identity = new Float64Array(map.outSize * map.inSize)
  for (let i = 0; i < map.outSize; i++) identity[i * map.inSize + i] = 1
  return identity
}

/**
 * x -> W (map(x)) + b, with W row-major (outFeatures x map.outSize). Folding keeps one linear
 * layer (one HE level) for a chain of linear ops.
 */
export function composeLinear(
  map: AffineMap,
  weights: Float64Array,
  outFeatures: number,
  bias: Float64Array,
  node: string,
  window?: WindowGeometry,
): AffineMap {
  const middle = map.outSize
  const composedBias = Float64Array.from(bias)
  for (let i = 0; i < outFeatures; i++) {
    let sum = 0
    for (let k = 0; k < middle; k++) sum += weights[i * middle + k] * map.bias[k]
    composedBias[i] += sum
  }
  let composedWeights: Float64Array
  if (map.weights === null) {
    composedWeights = Float64Array.from(weights)
  } else {
    const inner = map.weights
    const inSize = map.inSize
    composedWeights = new Float64Array(outFeatures * inSize)
    for (let i = 0; i < outFeatures; i++) {
      const row = composedWeights.subarray(i * inSize, (i + 1) * inSize)
      for (let k = 0; k < middle; k++) {
        const w = weights[i * middle + k]
        if (w === 0) continue
        const innerRow = inner.subarray(k * inSize, (k + 1) * inSize)
        for (let j = 0; j < inSize; j++) row[j] += w * innerRow[j]
      }
    }
  }
  return {
    inSize: map.inSize,
    outSize: outFeatures,
    weights: composedWeights,
    bias: composedBias,
    nodes: [...map.nodes, node],
    ...(window ? windowAfter(map, window) : {}),
  }
}

/** The window of `window` ∘ map: the op's own when map is the identity, composed with map's. */
function windowAfter(map: AffineMap, window: WindowGeometry): { window?: WindowGeometry } {
  if (map.weights === null) return { window }
  if (map.window && map.window.outShape.join() === window.inShape.join())
    return { window: composeWindows(map.window, window) }
  return {}
}

/** x -> scale ⊙ map(x) + shift, element-wise vectors of length map.outSize. */
export function scaleAndShift(
  map: AffineMap,
  scale: Float64Array,
  shift: Float64Array,
  nodes: readonly string[],
): AffineMap {
  const weights = denseWeights(map)
  const scaledWeights = new Float64Array(weights.length)
  const inSize = map.inSize
  for (let i = 0; i < map.outSize; i++) {
    for (let j = 0; j < inSize; j++)
      scaledWeights[i * inSize + j] = scale[i] * weights[i * inSize + j]
  }
  const bias = map.bias.map((value, i) => scale[i] * value + shift[i])
  // Element-wise scaling keeps every output's window; it is no longer a plain average pool.
  const { averagePool: _pool, ...rest } = map
  return { ...rest, weights: scaledWeights, bias, nodes: [...map.nodes, ...nodes] }
}

/**
 * x -> p(map(x)) for a polynomial of degree <= 1 (p = [c0] or [c0, c1]): still affine.
 * Keeps the identity structure when p is x.
 */
export function applyAffinePolynomial(
  map: AffineMap,
  p: Polynomial,
  nodes: readonly string[],
): AffineMap {
  const c0 = p[0] ?? 0
  const c1 = p[1] ?? 0
  if (c0 === 0 && c1 === 1) return nodes.length ? { ...map, nodes: [...map.nodes, ...nodes] } : map
  const size = map.outSize
  return scaleAndShift(map, new Float64Array(size).fill(c1), new Float64Array(size).fill(c0), nodes)
}

/** x -> a(x) + b(x) for maps of the same input and output sizes. */
export function addMaps(a: AffineMap, b: AffineMap, node: string): AffineMap {
  const left = denseWeights(a)
  const right = denseWeights(b)
  return {
    inSize: a.inSize,
    outSize: a.outSize,
    weights: left.map((value, i) => value + right[i]),
    bias: a.bias.map((value, i) => value + b.bias[i]),
    nodes: [...new Set([...a.nodes, ...b.nodes, node])],
  }
}
