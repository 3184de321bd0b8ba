/**
 * Output post-processing that a served model's plan does not evaluate under HE: trailing Softmax,
 * LogSoftmax or Sigmoid of the ONNX graph. The model card names it (card.output.postprocessing);
 * the client applies it after decryption, so its outputs equal the ONNX model's own outputs.
 * Softmax and LogSoftmax are over the output vector; Sigmoid is element-wise.
 */
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
