/**
 * The public, data-independent input transform applied by the client before encryption, exactly as
 * described by the card's `input.preprocessing` (core/card.ts): non-overlapping pool x pool averages
 * of a row-major [height, width] image, flattened row-major.
 */
import type { InputPreprocessing } from '../../core/card.ts'
import type { Dataset } from './dataset.ts'

/** Size of the preprocessed vector for a raw input of `rawSize` elements. */
export function preprocessedSize(preprocessing: InputPreprocessing, rawSize: number): number {
  if (preprocessing.kind === 'none') return rawSize
  return (preprocessing.height / preprocessing.pool) * (preprocessing.width / preprocessing.pool)
}

/** Applies the transform to one raw input (`raw.length` = rawSize), writing into `out`. */
export function preprocessInto(
  preprocessing: InputPreprocessing,
  raw: ArrayLike<number>,
  out: Float32Array,
): void {
  if (preprocessing.kind === 'none') {
    for (let i = 0; i < out.length; i++) out[i] = raw[i]
    return
  }
  const { height, width, pool } = preprocessing
  const outWidth = width / pool
  const scale = 1 / (pool * pool)
  for (let row = 0; row < height / pool; row++) {
    for (let col = 0; col < outWidth; col++) {
      let sum = 0
      for (let dy = 0; dy < pool; dy++) {
        const base = (row * pool + dy) * width + col * pool
        for (let dx = 0; dx < pool; dx++) sum += raw[base + dx]
      }
      out[row * outWidth + col] = sum * scale
    }
  }
}

/** Applies the transform to every row of a dataset. */
export function preprocessDataset(dataset: Dataset, preprocessing: InputPreprocessing): Dataset {
  const size = preprocessedSize(preprocessing, dataset.inputSize)
  const inputs = new Float32Array(dataset.count * size)
  for (let row = 0; row < dataset.count; row++) {
    preprocessInto(
      preprocessing,
      dataset.inputs.subarray(row * dataset.inputSize, (row + 1) * dataset.inputSize),
      inputs.subarray(row * size, (row + 1) * size),
    )
  }
  return { ...dataset, inputs, inputSize: size }
}
