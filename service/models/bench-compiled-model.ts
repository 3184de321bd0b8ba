/**
 * Benchmarks one compiled model with node-seal: median server time (ciphertext in, ciphertext out,
 * after one warm-up query), per-layer medians, and sizes as sent (seed-compressed + zstd).
 * Shared by `privinfer bench` and `npm run bench` (bench/run.ts), which may import the service but
 * not the other way round.
 */
import { median } from '../../core/math/median.ts'
import { PrivinferError } from '../../core/errors.ts'
import type { CompiledModel } from '../compiler/compile.ts'
import { defaultCalibration } from '../compiler/compile.ts'
import { createLocalRoundTrip, type LocalRoundTrip } from '../runtime/seal/local-round-trip.ts'

export interface ModelBench {
  serverMs: number
  serverMsAll: number[]
  layerMs: Record<string, number>
  galoisKeyBytes: number
  relinKeyBytes: number
  inputBytes: number
  outputBytes: number
  galoisSteps: number[]
  polyModulusDegree: number
  coeffModulusBits: number[]
  depth: number
  opCounts: Record<string, number>
}

export interface BatchBench {
  /** One full query of `batch` inputs, median. */
  serverMs: number
  serverMsAll: number[]
  batch: number
  msPerInput: number
  inputBytesPerInput: number
  outputBytesPerInput: number
  /** Bytes of one query's input / output ciphertexts, as sent. */
  inputBytes: number
  outputBytes: number
  galoisKeyBytes: number
  relinKeyBytes: number
  /** Client side, median: packing + encryption + serialization, and load + decryption. */
  encryptMs: number
  decryptMs: number
  layerMs: Record<string, number>
  packing: 'single' | 'lanes' | 'features'
  maxBatch: number
  opCounts: Record<string, number>
}

/**
 * Times batch queries of `batch` inputs on the model's batch plan (after one warm-up query), or
 * single-input queries when `batch` is undefined (then batch = 1 and msPerInput = serverMs).
 */
export async function benchBatchQueries(
  compiled: CompiledModel,
  batch: number | undefined,
  reps: number,
): Promise<BatchBench> {
  if (batch === undefined) {
    const single = await benchCompiledModel(compiled, reps)
    return {
      serverMs: single.serverMs,
      serverMsAll: single.serverMsAll,
      batch: 1,
      msPerInput: single.serverMs,
      inputBytesPerInput: single.inputBytes,
      outputBytesPerInput: single.outputBytes,
      inputBytes: single.inputBytes,
      outputBytes: single.outputBytes,
      galoisKeyBytes: single.galoisKeyBytes,
      relinKeyBytes: single.relinKeyBytes,
      encryptMs: NaN,
      decryptMs: NaN,
      layerMs: single.layerMs,
      packing: 'single',
      maxBatch: 1,
      opCounts: single.opCounts,
    }
  }
  const roundTrip = await createLocalRoundTrip(compiled)
  try {
    const card = roundTrip.batch
    if (card === undefined || compiled.batch === undefined) {
      throw new PrivinferError('BAD_REQUEST', 'the model has no batch plan: compile it with --batch K')
    }
    if (batch > card.maxBatch) {
      throw new PrivinferError(
        'BATCH_TOO_LARGE',
        `the batch plan holds at most ${card.maxBatch} inputs per query, --batch ${batch} asked for more`,
        { limit: card.maxBatch },
      )
    }
    const inputs = defaultCalibration(compiled.layerModel.inputSize, batch, 7)
    const warm = roundTrip.queryBatch(inputs)
    const runs = Array.from({ length: reps }, () => roundTrip.queryBatch(inputs))
    const layerMs: Record<string, number> = {}
    for (const name of Object.keys(runs[0]?.layerMs ?? {}))
      layerMs[name] = median(runs.map((run) => run.layerMs[name]))
    const serverMs = median(runs.map((run) => run.serverMs))
    return {
      serverMs,
      serverMsAll: runs.map((run) => run.serverMs),
      batch,
      msPerInput: serverMs / batch,
      inputBytesPerInput: warm.inputBytes / batch,
      outputBytesPerInput: warm.outputBytes / batch,
      inputBytes: warm.inputBytes,
      outputBytes: warm.outputBytes,
      galoisKeyBytes: roundTrip.galoisKeyBytes,
      relinKeyBytes: roundTrip.relinKeyBytes,
      encryptMs: median(runs.map((run) => run.encryptMs)),
      decryptMs: median(runs.map((run) => run.decryptMs)),
      layerMs,
      packing: card.packing,
      maxBatch: card.maxBatch,
      opCounts: compiled.batch.opCounts,
    }
  } finally {
    roundTrip.delete()
  }
}

export async function benchCompiledModel(
  compiled: CompiledModel,
  reps: number,
): Promise<ModelBench> {
  const roundTrip = await createLocalRoundTrip(compiled)
  try {
    const [input] = defaultCalibration(compiled.layerModel.inputSize, 1, 7)
    const warm = roundTrip.query(input)
    const times: number[] = []
    const layers: Array<Record<string, number>> = []
    for (let rep = 0; rep < reps; rep++) {
      const result = roundTrip.query(input)
      times.push(result.serverMs)
      layers.push(result.layerMs)
    }
    return summarize(compiled, roundTrip, warm, times, layers)
  } finally {
    roundTrip.delete()
  }
}

export function summarize(
  compiled: CompiledModel,
  roundTrip: LocalRoundTrip,
  sample: { inputBytes: number; outputBytes: number },
  times: number[],
  layers: Array<Record<string, number>>,
): ModelBench {
  const layerMs: Record<string, number> = {}
  for (const name of Object.keys(layers[0] ?? {}))
    layerMs[name] = median(layers.map((layer) => layer[name]))
  return {
    serverMs: median(times),
    serverMsAll: times,
    layerMs,
    galoisKeyBytes: roundTrip.galoisKeyBytes,
    relinKeyBytes: roundTrip.relinKeyBytes,
    inputBytes: sample.inputBytes,
    outputBytes: sample.outputBytes,
    galoisSteps: compiled.galoisSteps,
    polyModulusDegree: compiled.parameters.polyModulusDegree,
    coeffModulusBits: compiled.parameters.coeffModulusBits,
    depth: compiled.depth,
    opCounts: compiled.opCounts,
  }
}
