/**
 * Exact per-example gradients of the softmax cross-entropy loss of an MLP (manual backprop), clipped
 * per example and summed, without materializing one gradient vector per example.
 *
 * For a linear layer z = W h + b and one example, dL/dW = dz h^T (an outer product), so
 * ||dL/dW||^2 + ||dL/db||^2 = ||dz||^2 (||h||^2 + 1) exactly ("ghost norm", Goodfellow 2015,
 * arXiv:1510.01799). Adding the activations' scalar gradients gives each example's full L2 norm over
 * ALL parameters; then sum_i c_i dL_i/dW = (c * dZ)^T H is one weighted matrix product.
 */
import { argmax } from '../../core/math/argmax.ts'
import { createForwardBuffers, forwardRows, type ForwardBuffers } from './forward-pass.ts'
import { activationCoefficients, type Mlp } from './mlp.ts'

export interface BatchGradientOptions {
  /** Per-example L2 clipping norm C; undefined = no clipping (non-private training). */
  clippingNorm?: number
  /** Rows per internal chunk (memory bound), default 256. */
  chunkSize?: number
}

export interface BatchGradient {
  /** Sum over the examples of the (clipped) per-example gradients, same layout as model.params. */
  gradientSum: Float64Array
  /** Sum of per-example losses (nats). */
  lossSum: number
  /** Examples whose argmax equals the label. */
  correct: number
  count: number
  /** Per-example gradient L2 norms before clipping (one per example, in order). */
  norms: Float64Array
}

/**
 * @param inputs raw input rows (before normalization), inputSize = model.shape.sizes[0]
 * @param indices rows of inputs/labels that form the batch
 */
export function batchGradient(
  model: Mlp,
  inputs: Float32Array,
  labels: Uint8Array,
  indices: ArrayLike<number>,
  options: BatchGradientOptions = {},
): BatchGradient {
  const gradientSum = new Float64Array(model.params.length)
  const norms = new Float64Array(indices.length)
  const chunkSize = options.chunkSize ?? 256
  let lossSum = 0
  let correct = 0
  const workspace = createWorkspace(model, Math.min(chunkSize, Math.max(1, indices.length)))
  for (let start = 0; start < indices.length; start += chunkSize) {
    const end = Math.min(indices.length, start + chunkSize)
    const stats = accumulateChunk(
      model,
      inputs,
      labels,
      indices,
      start,
      end,
      workspace,
      gradientSum,
      norms,
      options.clippingNorm,
    )
    lossSum += stats.lossSum
    correct += stats.correct
  }
  return { gradientSum, lossSum, correct, count: indices.length, norms }
}

interface Workspace extends ForwardBuffers {
  /** deltas[l]: rows x sizes[l+1] (dL/dz of linear layer l). */
  deltas: Float64Array[]
  /** dL/dh buffer, rows x max hidden width. */
  upstream: Float64Array
  /** per row, per hidden layer: dL/da, dL/db of the 'poly' activation. */
  activationGrads: Float64Array
  scale: Float64Array
}

function createWorkspace(model: Mlp, rows: number): Workspace {
  const { sizes } = model.shape
  return {
    ...createForwardBuffers(model, rows),
    deltas: sizes.slice(1).map((width) => new Float64Array(rows * width)),
    upstream: new Float64Array(rows * Math.max(...sizes)),
    activationGrads: new Float64Array(rows * 2 * Math.max(1, sizes.length - 2)),
    scale: new Float64Array(rows),
  }
}

function accumulateChunk(
  model: Mlp,
  inputs: Float32Array,
  labels: Uint8Array,
  indices: ArrayLike<number>,
  start: number,
  end: number,
  ws: Workspace,
  gradientSum: Float64Array,
  norms: Float64Array,
  clippingNorm: number | undefined,
): { lossSum: number; correct: number } {
  const rows = end - start
  forwardRows(model, inputs, indices, start, end, ws)
  const stats = softmaxCrossEntropy(model, labels, indices, start, rows, ws)
  backpropagate(model, rows, ws)
  clippingScales(model, rows, ws, norms.subarray(start, end), clippingNorm)
  addScaledGradients(model, rows, ws, gradientSum)
  return stats
}

/** Loss and accuracy of the chunk, and dL/dlogits = softmax - onehot into the last deltas. */
function softmaxCrossEntropy(
  model: Mlp,
  labels: Uint8Array,
  indices: ArrayLike<number>,
  start: number,
  rows: number,
  ws: Workspace,
): { lossSum: number; correct: number } {
  const layers = model.linear.length
  const classes = model.shape.sizes[layers]
  const logits = ws.preActivations[layers - 1]
  const outDelta = ws.deltas[layers - 1]
  let lossSum = 0
  let correct = 0
  for (let r = 0; r < rows; r++) {
    const base = r * classes
    const predicted = argmax(logits, base, classes)
    const max = logits[base + predicted]
    let total = 0
    for (let c = 0; c < classes; c++) {
      const e = Math.exp(logits[base + c] - max)
      outDelta[base + c] = e
      total += e
    }
    const label = labels[indices[start + r]]
    for (let c = 0; c < classes; c++) outDelta[base + c] /= total
    lossSum += -Math.log(Math.max(outDelta[base + label], 1e-300))
    outDelta[base + label] -= 1
    if (predicted === label) correct++
  }

  return { lossSum, correct }
}

/**
 * Backward through the hidden layers: dL/dh = dZ W, then through the activation into the deltas,
 * and each row's dL/da, dL/db of the 'poly' activations.
 */
function backpropagate(model: Mlp, rows: number, ws: Workspace): void {
  const p = model.params
  const layers = model.linear.length
  const hiddenCount = layers - 1
  for (let l = layers - 1; l >= 1; l--) {
    const { inputs: nIn, outputs: nOut, weightOffset } = model.linear[l]
    const delta = ws.deltas[l]
    const up = ws.upstream
    up.fill(0, 0, rows * nIn)
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < nOut; j++) {
        const d = delta[r * nOut + j]
        if (d === 0) continue
        const wRow = weightOffset + j * nIn
        const uRow = r * nIn
        for (let k = 0; k < nIn; k++) up[uRow + k] += d * p[wRow + k]
      }
    }
    const hidden = l - 1
    const { a, b } = activationCoefficients(model, hidden)
    const z = ws.preActivations[hidden]
    const prevDelta = ws.deltas[hidden]
    for (let r = 0; r < rows; r++) {
      let gradA = 0
      let gradB = 0
      for (let k = 0; k < nIn; k++) {
        const i = r * nIn + k
        const zi = z[i]
        prevDelta[i] = up[i] * (2 * a * zi + b)
        gradA += up[i] * zi * zi
        gradB += up[i] * zi
      }
      ws.activationGrads[(r * hiddenCount + hidden) * 2] = gradA
      ws.activationGrads[(r * hiddenCount + hidden) * 2 + 1] = gradB
    }
  }
}

/** Exact per-example norms over all parameters (into `norms`), and the clipping factors. */
function clippingScales(
  model: Mlp,
  rows: number,
  ws: Workspace,
  norms: Float64Array,
  clippingNorm: number | undefined,
): void {
  const layers = model.linear.length
  const hiddenCount = layers - 1
  const poly = model.shape.activation === 'poly'
  for (let r = 0; r < rows; r++) {
    let squared = 0
    for (let l = 0; l < layers; l++) {
      const { inputs: nIn, outputs: nOut } = model.linear[l]
      const h = ws.activations[l]
      const delta = ws.deltas[l]
      let hNorm = 1 // the bias acts as an input fixed to 1
      for (let k = 0; k < nIn; k++) hNorm += h[r * nIn + k] * h[r * nIn + k]
      let dNorm = 0
      for (let j = 0; j < nOut; j++) dNorm += delta[r * nOut + j] * delta[r * nOut + j]
      squared += hNorm * dNorm
    }
    if (poly) {
      for (let t = 0; t < 2 * hiddenCount; t++)
        squared += ws.activationGrads[r * 2 * hiddenCount + t] ** 2
    }
    const norm = Math.sqrt(squared)
    norms[r] = norm
    ws.scale[r] = clippingNorm === undefined || norm <= clippingNorm ? 1 : clippingNorm / norm
  }
}

/** Weighted sums: G_W += sum_r c_r dz_r h_r^T, G_b += sum_r c_r dz_r, and the activations'. */
function addScaledGradients(
  model: Mlp,
  rows: number,
  ws: Workspace,
  gradientSum: Float64Array,
): void {
  const layers = model.linear.length
  const hiddenCount = layers - 1
  const poly = model.shape.activation === 'poly'
  for (let l = 0; l < layers; l++) {
    const { inputs: nIn, outputs: nOut, weightOffset, biasOffset } = model.linear[l]
    const h = ws.activations[l]
    const delta = ws.deltas[l]
    for (let r = 0; r < rows; r++) {
      const c = ws.scale[r]
      for (let j = 0; j < nOut; j++) {
        const d = c * delta[r * nOut + j]
        if (d === 0) continue
        gradientSum[biasOffset + j] += d
        const gRow = weightOffset + j * nIn
        const hRow = r * nIn
        for (let k = 0; k < nIn; k++) gradientSum[gRow + k] += d * h[hRow + k]
      }
    }
  }
  if (poly) {
    for (let hidden = 0; hidden < hiddenCount; hidden++) {
      const offset = model.activationOffsets[hidden]
      for (let r = 0; r < rows; r++) {
        gradientSum[offset] += ws.scale[r] * ws.activationGrads[(r * hiddenCount + hidden) * 2]
        gradientSum[offset + 1] +=
          ws.scale[r] * ws.activationGrads[(r * hiddenCount + hidden) * 2 + 1]
      }
    }
  }
}
