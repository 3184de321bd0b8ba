/**
 * Runs an exported model through onnxruntime-node (the service's plain reference path) and compares
 * it with the trainer's float64 forward pass.
 */
import * as ort from 'onnxruntime-node'
import { argmax } from '../core/math/argmax.ts'
import type { Dataset } from './data/dataset.ts'
import type { Mlp } from './dp-sgd/mlp.ts'
import { forward } from './dp-sgd/forward-pass.ts'
import { ONNX_INPUT_NAME, ONNX_OUTPUT_NAME } from './onnx-export.ts'

export interface OnnxAgreement {
  /** Accuracy of onnxruntime's argmax on `data`. */
  accuracy: number
  /** max |onnxruntime logit - trainer logit| over all rows and classes. */
  maxAbsLogitError: number
  /** Largest |trainer logit| (scale for the float32 error). */
  maxAbsLogit: number
  /** Rows where the two argmaxes differ. */
  argmaxDisagreements: number
  /** onnxruntime logits, count x classes. */
  logits: Float32Array
}

/** Loads `onnxBytes` in onnxruntime-node, runs all rows of `data` (batched), compares with `model`. */
export async function checkOnnxAgainstTrainer(
  onnxBytes: Uint8Array,
  model: Mlp,
  data: Dataset,
): Promise<OnnxAgreement> {
  const classes = model.shape.sizes[model.shape.sizes.length - 1]
  const logits = await onnxLogits(onnxBytes, data, classes)
  const reference = new Float64Array(data.count * classes)
  forward(model, data.inputs, data.count, reference)
  let maxAbsLogitError = 0
  let maxAbsLogit = 0
  let disagreements = 0
  let correct = 0
  for (let r = 0; r < data.count; r++) {
    for (let c = 0; c < classes; c++) {
      const i = r * classes + c
      maxAbsLogitError = Math.max(maxAbsLogitError, Math.abs(logits[i] - reference[i]))
      maxAbsLogit = Math.max(maxAbsLogit, Math.abs(reference[i]))
    }
    const ortBest = argmax(logits, r * classes, classes)
    const refBest = argmax(reference, r * classes, classes)
    if (ortBest !== refBest) disagreements++
    if (ortBest === data.labels[r]) correct++
  }
  return {
    accuracy: correct / data.count,
    maxAbsLogitError,
    maxAbsLogit,
    argmaxDisagreements: disagreements,
    logits,
  }
}

/** onnxruntime-node logits (count x classes) of all rows of `data`, in batches of 1,000. */
export async function onnxLogits(
  onnxBytes: Uint8Array,
  data: Dataset,
  classes: number,
): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(onnxBytes)
  try {
    const logits = new Float32Array(data.count * classes)
    const batch = 1000
    for (let start = 0; start < data.count; start += batch) {
      const rows = Math.min(batch, data.count - start)
      const input = new ort.Tensor(
        'float32',
        data.inputs.slice(start * data.inputSize, (start + rows) * data.inputSize),
        [rows, data.inputSize],
      )
      const output = await session.run({ [ONNX_INPUT_NAME]: input })
      logits.set(output[ONNX_OUTPUT_NAME].data as Float32Array, start * classes)
    }
    return logits
  } finally {
    await session.release()
  }
}
