/**
 * The step IR: the layer IR (ir.ts) after complete-square.ts, and what lower.ts turns into an HE
 * plan. A chain of dense maps and squares only, each square costing one level:
 *
 *   input -> DenseStep -> SquareStep -> DenseStep -> ... -> DenseStep -> output
 *
 * Polynomial coefficients are already absorbed into the neighbouring dense steps, consecutive dense
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

export type Step = DenseStep | SquareStep
