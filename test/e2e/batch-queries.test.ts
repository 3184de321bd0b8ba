/**
 * Batch queries end to end: the real service (worker pool, real SEAL) serving a small model with a
 * features batch plan; session.inferBatch packs 9 inputs into queries (partial batches), sends one
 * `input` part per feature, and decrypts one prediction per input, in order, matching onnxruntime;
 * a query declared for another K is refused with BATCH_LAYOUT_MISMATCH; single queries still work.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { PrivinferClient, type PrivinferSession } from '../../client/index.ts'
import type { ModelCard } from '../../core/card.ts'
import { PrivinferError } from '../../core/errors.ts'
import { encryptBatch } from '../../core/he/encrypt-batch.ts'
import { createClientKeys } from '../../core/he/client-keys.ts'
import { createCkksContext } from '../../core/ckks/context.ts'
import { loadSeal } from '../../core/seal/load.ts'
import { compileModel } from '../../service/compiler/compile.ts'
import { measureRanges } from '../../service/compiler/measure-ranges.ts'
import { toleranceFor } from '../../service/compiler/tolerance.ts'
import { featureToleranceFor } from '../../service/compiler/batch/feature-tolerance.ts'
import { loadConfig } from '../../service/config.ts'
import { startService, type RunningService } from '../../service/main.ts'
import { withCompiledFields } from '../../service/models/he-card.ts'
import { encryptionParametersBase64Of, writeModelDirectory } from '../../service/models/index.ts'
import { createPlainModel } from '../../service/plain/onnx-runtime.ts'
import { buildMlpOnnx, randomInputs } from '../support/onnx-fixtures.ts'

const onnx = buildMlpOnnx({
  sizes: [16, 12, 4],
  activation: 'poly',
  coefficients: [0.1, 0.5, 0.25],
  seed: 23,
})
const calibration = randomInputs(16, 16, 4, 0, 1)
// 9 inputs: one (partial) query of the 4096 the features plan holds.
const inputs = randomInputs(9, 16, 6, 0, 1)

let root: string
let service: RunningService
let client: PrivinferClient
let session: PrivinferSession
let tolerance: number
let batchTolerance: number

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'privinfer-batch-'))
  const compiled = compileModel(onnx, { calibration, batch: 4096, packing: 'features' })
  tolerance = toleranceFor(compiled.parameters, compiled.plan, measureRanges(compiled.plan, inputs))
  if (compiled.batch?.packing !== 'features') throw new Error('no features batch plan')
  batchTolerance = featureToleranceFor(compiled.parameters, compiled.batch.plan, inputs)
  const base: ModelCard = {
    formatVersion: 1,
    id: 'tiny-features',
    title: 'tiny features batch model',
    description: 'test model',
    nonPrivate: true,
    onnxFile: 'model.onnx',
    labels: ['a', 'b', 'c', 'd'],
    input: {
      rawSize: 16,
      size: 16,
      preprocessing: { kind: 'none' },
      layout: compiled.inputLayout,
    },
    output: { size: 4, layout: compiled.outputLayout },
    he: undefined as never,
    privacy: null,
    createdAt: new Date().toISOString(),
  }
  const card = withCompiledFields(
    base,
    compiled,
    await encryptionParametersBase64Of(compiled.parameters),
  )
  await writeModelDirectory(join(root, 'models', 'tiny-features'), {
    onnxBytes: onnx,
    card,
    compiled,
  })
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    MODELS_DIR: join(root, 'models'),
    KEYS_DIR: join(root, 'keys'),
    WORKERS: '1',
    RATE_LIMIT_MAX: '0',
    KEY_RATE_LIMIT_MAX: '0',
    KEY_QUOTA_SETS: '0',
    // The test model has no DP card: served only with the operator's opt-in.
    SERVE_NON_PRIVATE_MODELS: 'true',
    LOG_LEVEL: 'silent',
  })
  service = await startService(config, pino({ level: 'silent' }))
  await service.ready
  client = await PrivinferClient.create({ baseUrl: service.url })
  session = await client.openSession('tiny-features')
})
afterAll(async () => {
  await session?.close()
  await service?.close()
  await rm(root, { recursive: true, force: true })
})

describe('batch queries through the service', () => {
  it('inferBatch returns one prediction per input, in order, matching onnxruntime', async () => {
    expect(session.card.maxBatch).toBe(4096)
    const plain = await createPlainModel(onnx)
    const expected = await plain.run(inputs)
    await plain.close()
    const progress: number[] = []
    const predictions = await session.inferBatch(inputs, {
      onProgress: (done) => progress.push(done),
    })
    expect(predictions).toHaveLength(9)
    expect(progress).toEqual([9])
    predictions.forEach((prediction, k) =>
      prediction.logits.forEach((value, j) =>
        // onnxruntime computes in float32 (~1e-7 relative per operation).
        expect(Math.abs(value - expected[k][j])).toBeLessThan(batchTolerance + 1e-4),
      ),
    )
    // The single-input path of the same model is unchanged.
    const single = await session.infer(inputs[3])
    single.logits.forEach((value, j) =>
      expect(Math.abs(value - expected[3][j])).toBeLessThan(tolerance + 1e-4),
    )
  })

  it('privinfer predict --input many.csv answers one prediction per row, in order', async () => {
    const csv = ['f' + Array.from({ length: 15 }, (_, i) => `,f${i + 1}`).join('')]
    for (const x of inputs) csv.push(Array.from(x).join(','))
    const path = join(root, 'many.csv')
    await writeFile(path, csv.join('\n') + '\n')
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        'cli/privinfer.ts',
        'predict',
        '--server',
        service.url,
        '--model',
        'tiny-features',
        '--input',
        path,
        '--json',
      ],
      { maxBuffer: 1 << 24 },
    )
    const result = JSON.parse(stdout.trim()) as {
      predictions: Array<{ logits: number[] }>
      throughput: { inputs: number; queries: number }
    }
    expect(result.predictions).toHaveLength(9)
    expect(result.throughput).toMatchObject({ inputs: 9, queries: 1 })
    const direct = await session.inferBatch(inputs)
    result.predictions.forEach((prediction, k) =>
      prediction.logits.forEach((value, j) =>
        expect(Math.abs(value - direct[k].logits[j])).toBeLessThan(2 * batchTolerance),
      ),
    )
  })

  it('refuses a batch query packed for another K with 422 BATCH_LAYOUT_MISMATCH', async () => {
    const card = session.card
    if (card.batch === undefined) throw new Error('no batch plan')
    // A client that packed its query for maxBatch 1024 (valid ciphertexts of these parameters).
    const ctx = createCkksContext(await loadSeal(), {
      polyModulusDegree: card.he.polyModulusDegree,
      coeffModulusBits: card.he.coeffModulusBits,
      scaleBits: card.he.scaleBits,
    })
    const keys = createClientKeys(ctx, { galoisSteps: [], relin: false })
    try {
      const otherK = { ...card.batch, maxBatch: 1024 }
      const encrypted = encryptBatch(ctx, keys, otherK, inputs.slice(0, 2))
      const refused = await client.api
        .inferBatch(card.id, session.keyId, otherK, encrypted, 4)
        .catch((error: unknown) => error)
      expect(refused).toBeInstanceOf(PrivinferError)
      expect((refused as PrivinferError).code).toBe('BATCH_LAYOUT_MISMATCH')
    } finally {
      keys.delete()
      ctx.delete()
    }
  })
})
