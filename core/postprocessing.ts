/**
 * Output post-processing that a served model's plan does not evaluate under HE: trailing Softmax,
 * LogSoftmax or Sigmoid of the ONNX graph. The model card names it (card.output.postprocessing);
 * the client applies it after decryption, so its outputs equal the ONNX model's own outputs.
 * Softmax and LogSoftmax are over the output vector; Sigmoid is element-wise.
 */
import { argmax } from './math/argmax.ts'

export const POSTPROCESSINGS = ['softmax', 'logSoftmax', 'sigmoid'] as const

export type Postprocessing = (typeof POSTPROCESSINGS)[number]

export function isPostprocessing(value: unknown): value is Postprocessing {
  return typeof value === 'string' && (POSTPROCESSINGS as readonly string[]).includes(value)
}

/**
 * The post-processed outputs (new array); the values themselves when `kind` is undefined.
 * @example applyPostprocessing('softmax', [0, Math.log(3)]) // [0.25, 0.75]
 */
export function applyPostprocessing(
  kind: Postprocessing | undefined,
  values: ArrayLike<number>,
): Float64Array {
  const out = Float64Array.from(values)
  if (kind === undefined) return out
  if (kind === 'sigmoid') return out.map((v) => 1 / (1 + Math.exp(-v)))
  // Subtract the max first: exp never overflows, the result is unchanged.
  let max = -Infinity
  for (const v of out) max = Math.max(max, v)
  let sum = 0
  for (const v of out) sum += Math.exp(v - max)
  const logSum = max + Math.log(sum)
  return kind === 'logSoftmax' ? out.map((v) => v - logSum) : out.map((v) => Math.exp(v - logSum))
}

/**
 * The decision of one output vector: the argmax, or for a single output the class 0/1 by threshold
 * (0 on a logit, 0.5 once `kind` is 'sigmoid'). `kind` says whether `values` are post-processed.
 * @example decisionOf([0.2], 'sigmoid') // 0
 */
export function decisionOf(values: ArrayLike<number>, kind?: Postprocessing): number {
  if (values.length === 1) return values[0] > (kind === 'sigmoid' ? 0.5 : 0) ? 1 : 0
  return argmax(values)
}
