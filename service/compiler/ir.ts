/**
 * The layer IR: what the ONNX front end (service/compiler/onnx-import.ts) produces and what the HE
 * lowering (service/compiler/lower.ts, after complete-square.ts) consumes. Pure data, no SEAL, no ONNX types.
 *
 * A model is a chain: input vector (flattened, row-major) -> layers in order -> output vector.
 * Interpreters: evaluate-layer-model.ts (the float64 forward pass), approximate-activations.ts,
 * complete-square.ts; each ends in `unreachable(layer)`.
 * Consecutive linear layers are already composed by the front end; Flatten/Reshape/Identity are gone.
 */

import type { Postprocessing } from '../../core/postprocessing.ts'
import type { Elementwise } from './elementwise.ts'
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

/**
 * An element-wise function that is not a polynomial (Relu, Sigmoid, x·Sigmoid(x), GELU...), as
 * imported: the compiler replaces it by a fitted ChebyshevLayer (approximate-activations.ts).
 */
export interface ActivationLayer {
  kind: 'activation'
  name: string
  function: Elementwise
}

/**
 * One polynomial per feature j in the Chebyshev basis: y_j = Σ_k coefficients[k][j] · T_k(t_j),
 * t_j = (x_j − center[j]) / halfWidth[j], so the calibrated interval of x_j maps to [-1, 1].
 * Made by the compiler from an ActivationLayer (a fit) or a PolyLayer of degree > 2 (exact).
 */
export interface ChebyshevLayer {
  kind: 'chebyshev'
  name: string
  center: Float64Array
  halfWidth: Float64Array
  /** coefficients[k] holds c_k of every feature; degree = coefficients.length − 1. */
  coefficients: Float64Array[]
}

export type Layer = LinearLayer | PolyLayer | ActivationLayer | ChebyshevLayer

export interface LayerModel {
  /** ONNX graph input name and its declared shape (batch dimension as 1). */
  inputName: string
  inputShape: number[]
  /** Number of input elements (product of inputShape without the batch dimension). */
  inputSize: number
  outputName: string
  outputSize: number
  layers: Layer[]
  /**
   * Element-wise output ops not evaluated under HE (trailing Softmax, LogSoftmax, Sigmoid): the
   * client applies them after decryption (core/postprocessing.ts). Absent: none.
   */
  postprocessing?: Postprocessing
}
