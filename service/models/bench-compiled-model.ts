/**
 * Benchmarks one compiled model with node-seal: median server time (ciphertext in, ciphertext out,
 * after one warm-up query), per-layer medians, and sizes as sent (seed-compressed + zstd).
 * Shared by `privinfer bench` and `npm run bench` (bench/run.ts), which may import the service but
 * not the other way round.
 */
import { median } from '../../core/math/median.ts'
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
