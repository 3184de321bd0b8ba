/**
 * UnsupportedModelError: one error that lists every ONNX node the front end cannot import.
 */
import { PrivinferError } from '../../../core/errors.ts'

/** One node the front end cannot import, and why. */
export interface UnsupportedNode {
  /** Node name ('<opType>_<index>' for unnamed nodes), or the graph input/output name. */
  node: string
  opType: string
  reason: string
}

/**
 * Thrown by importOnnx when a model has nodes outside the supported set or in a pattern that is
 * not a chain of linear maps and element-wise polynomials. The message lists every problem and
 * the supported ops; `details.unsupported` carries them as data.
 */
export class UnsupportedModelError extends PrivinferError {
  readonly unsupported: readonly UnsupportedNode[]

  constructor(unsupported: readonly UnsupportedNode[], supportedOps: readonly string[]) {
    const lines = unsupported.map(
      (problem) => `  - ${problem.node} (${problem.opType}): ${problem.reason}`,
    )
    super(
      'UNSUPPORTED_MODEL',
      `the model has ${unsupported.length} unsupported node${unsupported.length === 1 ? '' : 's'}:\n` +
        `${lines.join('\n')}\nSupported ops: ${supportedOps.join(', ')}. A model must be a chain of ` +
        'linear maps and element-wise polynomial activations (e.g. x*x, 0.25*x*x + 0.5*x); fit a ' +
        'polynomial in place of Relu/Sigmoid/Tanh before export.',
      { unsupported, supportedOps },
    )
    this.unsupported = unsupported
  }
}
