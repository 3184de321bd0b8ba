/**
 * The step IR: the layer IR (ir.ts) after complete-square.ts, and what lower.ts turns into an HE
 * plan. A chain of dense maps and element-wise polynomials (a square, one level; or a Chebyshev
 * series of degree d, ceil(log2(d + 1)) levels):
 *
 *   input -> DenseStep -> SquareStep | ChebyshevStep -> DenseStep -> ... -> DenseStep -> output
 *
 * Quadratic coefficients are already absorbed into the neighbouring dense steps, consecutive dense
 * maps are multiplied out (except an average pool before a window map, which the lowering may run
 * as a fold), and the chain starts and ends with a dense step.
 */
import type { WindowGeometry } from '../../core/layout/window-geometry.ts'

/** y = W x + b, W row-major with `rows` outputs and `columns` inputs. */
export interface DenseStep {
  kind: 'linear'
  name: string
  rows: number
  columns: number
  /** Row-major rows x columns. */
  weights: Float64Array
  bias: Float64Array
  /** Window geometry of a convolution-like step (ir.ts LinearLayer.window). */
  window?: WindowGeometry
  /** An exact average pool (ir.ts LinearLayer.averagePool). */
  averagePool?: true
}

/** x -> x² + linearCoefficient·x element-wise (0 for a bare square). */
export interface SquareStep {
  kind: 'square'
  name: string
  linearCoefficient: number
}

/**
 * x_j -> Σ_k coefficients[k][j] · T_k(x_j) per feature j, on x_j ∈ [-1, 1]: the previous dense
 * step already maps each feature's calibrated interval to [-1, 1] (complete-square.ts).
 */
export interface ChebyshevStep {
  kind: 'chebyshev'
  name: string
  /** coefficients[k] holds c_k of every feature (rows of the previous dense step). */
  coefficients: Float64Array[]
}

export type Step = DenseStep | SquareStep | ChebyshevStep
