/**
 * The logit-scaled confidence phi = log(p_y / (1 - p_y)) = z_y - logsumexp_{c != y} z_c, computed
 * stably from the logits z (Carlini et al. 2022: the statistic membership attacks should threshold).
 */
import type { Mlp } from '../dp-sgd/mlp.ts'
import { forward } from '../dp-sgd/forward-pass.ts'
import type { Dataset } from '../data/dataset.ts'

export function scaledConfidenceFromLogits(
  logits: ArrayLike<number>,
  labels: ArrayLike<number>,
  classes: number,
): Float64Array {
  const phi = new Float64Array(labels.length)
  for (let r = 0; r < labels.length; r++) {
    const label = labels[r]
    let max = -Infinity
    for (let c = 0; c < classes; c++) if (c !== label) max = Math.max(max, logits[r * classes + c])
    let sum = 0
    for (let c = 0; c < classes; c++)
      if (c !== label) sum += Math.exp(logits[r * classes + c] - max)
    phi[r] = logits[r * classes + label] - (max + Math.log(sum))
  }
  return phi
}

export function scaledConfidence(model: Mlp, data: Dataset): Float64Array {
  const classes = model.shape.sizes[model.shape.sizes.length - 1]
  const logits = new Float64Array(data.count * classes)
  forward(model, data.inputs, data.count, logits)
  return scaledConfidenceFromLogits(logits, data.labels, classes)
}
