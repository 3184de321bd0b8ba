/**
 * Turns decrypted plan outputs into a prediction: the card's post-processing (a trailing Softmax,
 * LogSoftmax or Sigmoid of the ONNX graph that the plan leaves to the client, core/postprocessing.ts)
 * gives the ONNX model's own outputs; from them the probabilities and the predicted label.
 */
import { applyPostprocessing, decisionOf, type Postprocessing } from '../core/postprocessing.ts'

export interface Prediction {
  /** The plan's outputs as decrypted (approximate: CKKS noise is ~2^-scaleBits relative). */
  logits: number[]
  /**
   * The ONNX model's outputs: `logits` after card.output.postprocessing (the same values when the
   * card names none), comparable one to one with onnxruntime on the same file.
   */
  outputs: number[]
  /**
   * Class probabilities: the outputs of a Softmax; exp of a LogSoftmax; [1 − p, p] for one Sigmoid
   * output p (element-wise sigmoids for several); softmax(logits) without post-processing.
   */
  probabilities: number[]
  /** The predicted class: argmax, or for one output 0/1 by threshold (0.5 after a Sigmoid, else 0). */
  label: number
  /** The card's name of that label (e.g. "7"). */
  labelName: string
}

function probabilitiesOf(
  postprocessing: Postprocessing | undefined,
  logits: readonly number[],
  outputs: readonly number[],
): number[] {
  switch (postprocessing) {
    case 'softmax':
      return [...outputs]
    case 'logSoftmax':
      return outputs.map(Math.exp)
    case 'sigmoid':
      return outputs.length === 1 ? [1 - outputs[0], outputs[0]] : [...outputs]
    case undefined:
      return Array.from(applyPostprocessing('softmax', logits))
  }
}

/**
 * @param postprocessing card.output.postprocessing.
 * @example toPrediction([0, Math.log(3)], ['a', 'b']).probabilities // [0.25, 0.75]
 */
export function toPrediction(
  logits: ArrayLike<number>,
  labels: readonly string[],
  postprocessing?: Postprocessing,
): Prediction {
  const values = Array.from(logits)
  const outputs = Array.from(applyPostprocessing(postprocessing, values))
  const label = decisionOf(outputs, postprocessing)
  return {
    logits: values,
    outputs,
    probabilities: probabilitiesOf(postprocessing, values, outputs),
    label,
    labelName: labels[label] ?? String(label),
  }
}
