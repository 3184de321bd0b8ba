/**
 * The MLP's float64 forward pass (mlp.ts describes the model), over chunks of rows. It keeps every
 * layer's input and pre-activation: the backward pass of batch-gradient.ts needs them, `forward` reads
 * only the logits.
 */
import { activationCoefficients, type Mlp } from './mlp.ts'

/** Rows per chunk of `forward` (bounds the buffers to a few MB for 784-wide inputs). */
const FORWARD_CHUNK_ROWS = 256

export interface ForwardBuffers {
  /** activations[l]: rows x sizes[l], the input of linear layer l (activations[0] = normalized input). */
  activations: Float64Array[]
  /** preActivations[l]: rows x sizes[l+1], z of linear layer l (the last one holds the logits). */
  preActivations: Float64Array[]
}

export function createForwardBuffers(model: Mlp, rows: number): ForwardBuffers {
  const { sizes } = model.shape
  return {
    activations: sizes.slice(0, -1).map((width) => new Float64Array(rows * width)),
    preActivations: sizes.slice(1).map((width) => new Float64Array(rows * width)),
  }
}

/**
 * Runs rows `indices[start]` .. `indices[end - 1]` of `inputs` (raw, before normalization) through
 * the model into `buffers` (buffer row r = indices[start + r]).
 */
export function forwardRows(
  model: Mlp,
  inputs: Float32Array,
  indices: ArrayLike<number>,
  start: number,
  end: number,
  buffers: ForwardBuffers,
): void {
  const rows = end - start
  const p = model.params
  const { sizes, inputMean, inputStd } = model.shape
  const layers = model.linear.length
  const inputSize = sizes[0]
  const x = buffers.activations[0]
  for (let r = 0; r < rows; r++) {
    const source = indices[start + r] * inputSize
    for (let k = 0; k < inputSize; k++)
      x[r * inputSize + k] = (inputs[source + k] - inputMean) / inputStd
  }
  for (let l = 0; l < layers; l++) {
    const { inputs: nIn, outputs: nOut, weightOffset, biasOffset } = model.linear[l]
    const h = buffers.activations[l]
    const z = buffers.preActivations[l]
    for (let r = 0; r < rows; r++) {
      const hRow = r * nIn
      for (let j = 0; j < nOut; j++) {
        let sum = p[biasOffset + j]
        const wRow = weightOffset + j * nIn
        for (let k = 0; k < nIn; k++) sum += p[wRow + k] * h[hRow + k]
        z[r * nOut + j] = sum
      }
    }
    if (l + 1 < layers) {
      const { a, b } = activationCoefficients(model, l)
      const next = buffers.activations[l + 1]
      for (let i = 0; i < rows * nOut; i++) next[i] = a * z[i] * z[i] + b * z[i]
    }
  }
}

/**
 * Logits for `count` rows of `inputs` (raw, before normalization) into `logits` (count x classes).
 * Used for evaluation and for comparing with onnxruntime.
 */
export function forward(
  model: Mlp,
  inputs: Float32Array,
  count: number,
  logits: Float64Array,
): void {
  const classes = model.shape.sizes[model.shape.sizes.length - 1]
  const buffers = createForwardBuffers(model, Math.min(FORWARD_CHUNK_ROWS, Math.max(1, count)))
  const rowIndices = Uint32Array.from({ length: count }, (_, row) => row)
  const output = buffers.preActivations[model.linear.length - 1]
  for (let start = 0; start < count; start += FORWARD_CHUNK_ROWS) {
    const end = Math.min(count, start + FORWARD_CHUNK_ROWS)
    forwardRows(model, inputs, rowIndices, start, end, buffers)
    logits.set(output.subarray(0, (end - start) * classes), start * classes)
  }
}
