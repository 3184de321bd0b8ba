/**
 * The layer IR: what the ONNX front end (service/compiler/onnx-import.ts) produces and what the HE
 * lowering (service/compiler/lower.ts, after complete-square.ts) consumes. Pure data, no SEAL, no ONNX types.
 *
 * A model is a chain: input vector (flattened, row-major) -> layers in order -> output vector.
 * Consecutive linear layers are already composed by the front end; Flatten/Reshape/Identity are gone.
 */

import type { WindowGeometry } from '../../core/layout/window-geometry.ts'

/** y = W x + b, W row-major with `outFeatures` rows and `inFeatures` columns. */
export interface LinearLayer {
  kind: 'linear'
  /** ONNX node names that this layer came from, for messages and per-layer timings. */
  name: string
  inFeatures: number
  outFeatures: number
  /** Row-major, length outFeatures * inFeatures. */
  weights: Float64Array
  /** Length outFeatures (zeros when the model has no bias). */
  bias: Float64Array
  /**
   * Set when the map is a window map on NCHW tensors (Conv, AveragePool, BatchNorm and their
   * compositions): the layout code then places outputs on their window corners
   * (core/layout/grid-placement.ts). The weights stay the truth; the window only guides packing.
   */
  window?: WindowGeometry
  /** The layer is exactly an average pool (kernel = stride, no padding): a fold candidate. */
  averagePool?: true
}

/**
 * Element-wise polynomial p(x) = sum_k coefficients[k] * x^k, same coefficients for every element.
 * Square is [0, 0, 1]; 0.25 x^2 + 0.5 x is [0, 0.5, 0.25].
 */
export interface PolyLayer {
  kind: 'poly'
  name: string
  coefficients: number[]
}

export type Layer = LinearLayer | PolyLayer

export interface LayerModel {
  /** ONNX graph input name and its declared shape (batch dimension as 1). */
  inputName: string
  inputShape: number[]
  /** Number of input elements (product of inputShape without the batch dimension). */
  inputSize: number
  outputName: string
  outputSize: number
  layers: Layer[]
}
