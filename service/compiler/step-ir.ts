/**
 * The step IR: the layer IR (ir.ts) after complete-square.ts, and what lower.ts turns into an HE
 * plan. A chain of dense maps and squares only, each square costing one level:
 *
 *   input -> DenseStep -> SquareStep -> DenseStep -> ... -> DenseStep -> output
 *
 * Polynomial coefficients are already absorbed into the neighbouring dense steps, consecutive dense
 * maps are multiplied out, and the chain starts and ends with a dense step.
 */

/** y = W x + b, W row-major with `rows` outputs and `columns` inputs. */
export interface DenseStep {
  kind: 'linear'
  name: string
  rows: number
  columns: number
  /** Row-major rows x columns. */
  weights: Float64Array
  bias: Float64Array
}

/** x -> x² + linearCoefficient·x element-wise (0 for a bare square). */
export interface SquareStep {
  kind: 'square'
  name: string
  linearCoefficient: number
}

export type Step = DenseStep | SquareStep
