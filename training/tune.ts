/**
 * Hyperparameter choice on a VALIDATION split carved from the PUBLIC proxy's training part (never a
 * served training set, never a test split), by coordinate search: start from a base configuration,
 * try each value of one axis at a time (mean validation accuracy over `repeats` runs, fresh DP noise
 * each), keep the best, move to the next axis. Every run is recorded. Private record sets are refused
 * (runTraining): their validation accuracies would be uncounted releases.
 *
 *   nice -n 10 node training/tune.ts --dataset fashion-mnist-proxy --epsilon 3 [--repeats 2] [--out training/tuning/proxy.json]
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { parseArgs } from 'node:util'
import { runTraining, type TrainingConfig } from './pipeline.ts'

/** One axis of the search: a config field and the values tried for it. */
interface Axis {
  name: keyof TrainingConfig
  values: unknown[]
}

export interface TuningRecord {
  dataset: string
  epsilon: number | null
  validationFraction: number
  repeats: number
  runs: Array<{ config: Partial<TrainingConfig>; validationAccuracy: number[]; mean: number }>
  chosen: Partial<TrainingConfig>
  note: string
}

const { values } = parseArgs({
  options: {
    dataset: { type: 'string', default: 'fashion-mnist-proxy' },
    epsilon: { type: 'string' },
    repeats: { type: 'string', default: '2' },
    out: { type: 'string' },
    validation: { type: 'string', default: '0.15' },
  },
})
const dataset = values.dataset as string
const epsilon = values.epsilon === undefined ? undefined : Number(values.epsilon)
const repeats = Number(values.repeats)
const validationFraction = Number(values.validation)

const base: TrainingConfig = {
  dataset,
  privacy: epsilon === undefined ? undefined : { epsilon, delta: 1e-5 },
  hidden: [128],
  activation: 'poly',
  pool: 2,
  epochs: dataset === 'mnist' ? 15 : 8,
  batchSize: dataset === 'mnist' ? 512 : 1024,
  learningRate: 0.005,
  optimizer: 'adam',
  schedule: 'constant',
  clippingNorm: 1,
  seed: 1,
  weightGain: 1,
  polyA: 0.1,
  emaDecay: 0.95,
  validationFraction,
}

const axes: Axis[] =
  dataset === 'mnist'
    ? [
        { name: 'learningRate', values: [0.003, 0.005, 0.008] },
        { name: 'batchSize', values: [256, 512, 1024] },
        { name: 'clippingNorm', values: [0.5, 1, 2] },
        { name: 'emaDecay', values: [undefined, 0.95] },
        { name: 'hidden', values: [[64], [128]] },
      ]
    : [
        { name: 'learningRate', values: [0.002, 0.005] },
        { name: 'batchSize', values: [1024, 2048] },
        { name: 'clippingNorm', values: [0.5, 1] },
      ]

const record: TuningRecord = {
  dataset,
  epsilon: epsilon ?? null,
  validationFraction,
  repeats,
  runs: [],
  chosen: {},
  note: 'Coordinate search on a validation split carved from the training set (seeded). Not counted in epsilon.',
}
const cache = new Map<string, number>()
const tried = (config: TrainingConfig) =>
  JSON.stringify({ ...config, validationFraction: undefined })

async function score(config: TrainingConfig): Promise<number> {
  const key = tried(config)
  const known = cache.get(key)
  if (known !== undefined) return known
  const accuracies: number[] = []
  for (let r = 0; r < repeats; r++) {
    const outcome = await runTraining(
      { ...config, seed: config.seed + 100 * r },
      { skipAudit: true },
    )
    accuracies.push(outcome.onnx.accuracy)
  }
  const mean = accuracies.reduce((a, b) => a + b, 0) / accuracies.length
  const { dataset: _d, privacy: _p, validationFraction: _v, ...shown } = config
  record.runs.push({ config: shown, validationAccuracy: accuracies, mean })
  process.stderr.write(
    `tune ${JSON.stringify(shown)} -> ${accuracies.map((a) => a.toFixed(4)).join(' ')} mean ${mean.toFixed(4)}\n`,
  )
  cache.set(key, mean)
  return mean
}

let best = base
let bestScore = await score(base)
for (const axis of axes) {
  for (const value of axis.values) {
    const candidate = { ...best, [axis.name]: value } as TrainingConfig
    const candidateScore = await score(candidate)
    if (candidateScore > bestScore) {
      best = candidate
      bestScore = candidateScore
    }
  }
}
const { dataset: _d, privacy: _p, validationFraction: _v, ...chosen } = best
record.chosen = chosen
const out =
  values.out ??
  `training/tuning/${dataset}-${epsilon === undefined ? 'nonprivate' : `eps${epsilon}`}.json`
mkdirSync(dirname(out), { recursive: true })
writeFileSync(out, JSON.stringify(record, null, 2) + '\n')
process.stdout.write(JSON.stringify({ out, chosen, validationAccuracy: bestScore }) + '\n')
