/**
 * Plain float64 evaluation of the trainer's model: accuracy, mean loss, per-example losses (for the
 * membership-inference audit) and logits.
 */
import { argmax } from '../../core/math/argmax.ts'
import type { Dataset } from '../data/dataset.ts'
import type { Mlp } from './mlp.ts'
import { forward } from './forward-pass.ts'

export interface Evaluation {
  accuracy: number
  meanLoss: number
  /** Cross-entropy of each example (nats). */
  losses: Float64Array
  /** count x classes logits. */
  logits: Float64Array
  predictions: Uint8Array
}

export function evaluateMlp(model: Mlp, data: Dataset): Evaluation {
  const classes = model.shape.sizes[model.shape.sizes.length - 1]
  const logits = new Float64Array(data.count * classes)
  forward(model, data.inputs, data.count, logits)
  const losses = new Float64Array(data.count)
  const predictions = new Uint8Array(data.count)
  let correct = 0
  let lossSum = 0
  for (let r = 0; r < data.count; r++) {
    const predicted = argmax(logits, r * classes, classes)
    const max = logits[r * classes + predicted]
    let total = 0
    for (let c = 0; c < classes; c++) total += Math.exp(logits[r * classes + c] - max)
    const loss = Math.log(total) + max - logits[r * classes + data.labels[r]]
    losses[r] = loss
    lossSum += loss
    predictions[r] = predicted
    if (predicted === data.labels[r]) correct++
  }
  return {
    accuracy: correct / data.count,
    meanLoss: lossSum / data.count,
    losses,
    logits,
    predictions,
  }
}
