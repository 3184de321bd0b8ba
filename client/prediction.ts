/**
 * Turns decrypted logits into a prediction: softmax probabilities and the arg-max label.
 */
import { argmax } from '../core/math/argmax.ts'

export interface Prediction {
  /** The model's outputs as decrypted (approximate: CKKS noise is ~2^-scaleBits relative). */
  logits: number[]
  /** softmax(logits). */
  probabilities: number[]
  /** Index of the largest logit. */
  label: number
  /** The card's name of that label (e.g. "7"). */
  labelName: string
}

export function toPrediction(logits: ArrayLike<number>, labels: readonly string[]): Prediction {
  const values = Array.from(logits)
  const label = argmax(values)
  const max = values[label]
  const exps = values.map((value) => Math.exp(value - max))
  const total = exps.reduce((sum, value) => sum + value, 0)
  return {
    logits: values,
    probabilities: exps.map((value) => value / total),
    label,
    labelName: labels[label] ?? String(label),
  }
}
