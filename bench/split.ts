/**
 * One query across cores: latency of a single query on an idle pool of 2 workers that splits it
 * (the model compiled with split: 2, parts side by side + a merge task) against a pool of 1 worker
 * running the whole plan, the same model, keys and input; queries one at a time, alternating
 * between the pools, medians of --reps (load from other processes hits both alike). The latency is
 * pool.infer's: task messages, key cache hit, plan(s), merge, serialization.
 * Writes bench/results/split-<model>.md and .json.
 *
 * Usage: node bench/split.ts [--model mnist-dp] [--reps 15]
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { median } from '../core/math/median.ts'
import { createCkksContext } from '../core/ckks/context.ts'
import { createClientKeys, encryptInput } from '../core/he/index.ts'
import { loadSeal } from '../core/seal/load.ts'
import { compileModel, defaultCalibration } from '../service/compiler/compile.ts'
import { countOps } from '../service/compiler/plan/plan.ts'
import type { CompileRecord } from '../service/models/index.ts'
import { loadModelDirectory } from '../service/models/index.ts'
import { WorkerPool } from '../service/pool/worker-pool.ts'
import { loadAverage, machineDescription, writeBenchResult } from './results-file.ts'

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'mnist-dp' },
    reps: { type: 'string', default: '15' },
  },
})
const modelId = values.model
const reps = Number(values.reps)
const dir = join('models', modelId)
const record = JSON.parse(await readFile(join(dir, 'compile.json'), 'utf8')) as CompileRecord
const { card } = await loadModelDirectory(dir)
const onnx = new Uint8Array(await readFile(join(dir, card.onnxFile)))
const compiled = compileModel(onnx, {
  ...record.options,
  parameters: record.parameters,
  split: 2,
})
if (compiled.split === undefined) {
  const reason = compiled.reasons.find((line) => line.startsWith('split'))
  throw new Error(`${modelId} has no split plan: ${reason}`)
}
const loadAtStart = loadAverage()
const splitCard = { ...card, he: { ...card.he, galoisSteps: compiled.galoisSteps } }
const models = [{ card: splitCard, compiled }]
const [split, whole] = await Promise.all([
  WorkerPool.start({ models, workers: 2, maxQueue: 4, keyCacheBytes: 64 * 2 ** 20 }),
  WorkerPool.start({
    models,
    workers: 1,
    maxQueue: 4,
    keyCacheBytes: 64 * 2 ** 20,
    splitQueries: false,
  }),
])
const ctx = createCkksContext(await loadSeal(), compiled.parameters)
const keys = createClientKeys(ctx, {
  galoisSteps: compiled.galoisSteps,
  relin: compiled.plan.needsRelinKeys,
})
const bundle = keys.evaluationKeyBundle()
const [x] = defaultCalibration(compiled.layerModel.inputSize, 1, 7)
const input = encryptInput(ctx, keys, compiled.inputLayout, x, { level: compiled.plan.depth })
const query = async (pool: WorkerPool) => {
  const started = performance.now()
  await pool.infer({
    modelId: card.id,
    keyId: 'bench',
    keyExpiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    input: input.slice(),
    loadKeys: async () => ({
      record: {
        keyId: 'bench',
        modelId: card.id,
        createdAt: '',
        expiresAt: '',
        galoisKeyBytes: 0,
        relinKeyBytes: 0,
        owner: 'bench',
      },
      keys: {
        galoisKeys: bundle.galoisKeys.slice(),
        ...(bundle.relinKeys ? { relinKeys: bundle.relinKeys.slice() } : {}),
      },
    }),
  })
  return performance.now() - started
}
// Warm-up: both workers of the split pool load the keys.
await query(split)
await query(whole)
const splitMs: number[] = []
const wholeMs: number[] = []
for (let rep = 0; rep < reps; rep++) {
  wholeMs.push(await query(whole))
  splitMs.push(await query(split))
}
await Promise.all([split.close(), whole.close()])
keys.delete()
ctx.delete()
const loadAtEnd = loadAverage()
const ratio = median(splitMs) / median(wholeMs)
const partRotations = compiled.split.parts.map((part) => countOps(part).rotations)
const markdown = [
  `# One query across cores: ${modelId} (${new Date().toISOString()})`,
  '',
  `\`node bench/split.ts --model ${modelId} --reps ${reps}\` on ${machineDescription()}; load average ${loadAtStart} at the start, ${loadAtEnd} at the end.`,
  '',
  '| pool | plan | latency p50 ms | min | max |',
  '| ---- | ---- | -------------- | --- | --- |',
  `| 1 worker | whole (${compiled.opCounts.rotations} rotations) | ${median(wholeMs).toFixed(1)} | ${Math.min(...wholeMs).toFixed(1)} | ${Math.max(...wholeMs).toFixed(1)} |`,
  `| 2 idle workers | 2 parts (${partRotations.join(' + ')} rotations) + merge | ${median(splitMs).toFixed(1)} | ${Math.min(...splitMs).toFixed(1)} | ${Math.max(...splitMs).toFixed(1)} |`,
  '',
  `Split / whole latency: ${ratio.toFixed(2)}.`,
  '',
].join('\n')
await writeBenchResult(`split-${modelId}`, markdown, {
  model: modelId,
  loadAverage: { start: loadAtStart, end: loadAtEnd },
  wholeMs,
  splitMs,
  ratio,
  partRotations,
  wholeRotations: compiled.opCounts.rotations,
})
