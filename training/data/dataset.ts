/**
 * An in-memory labelled image dataset: `count` rows of `inputSize` floats (row-major, values in
 * [0, 1] for raw images) and one class label per row.
 */
export interface Dataset {
  /** Dataset name as used by the CLI (mnist, fashion-mnist). */
  name: string
  inputs: Float32Array
  labels: Uint8Array
  count: number
  inputSize: number
  /** Human-readable class names, index = label. */
  labelNames: string[]
}

/** Rows of `dataset` at `indices`, in that order (a copy). */
export function subsetOf(dataset: Dataset, indices: ArrayLike<number>): Dataset {
  const { inputSize } = dataset
  const inputs = new Float32Array(indices.length * inputSize)
  const labels = new Uint8Array(indices.length)
  for (let row = 0; row < indices.length; row++) {
    const source = indices[row]
    inputs.set(
      dataset.inputs.subarray(source * inputSize, (source + 1) * inputSize),
      row * inputSize,
    )
    labels[row] = dataset.labels[source]
  }
  return { ...dataset, inputs, labels, count: indices.length }
}
