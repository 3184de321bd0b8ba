/**
 * Batch queries: server time per input (msPerInput = one query's server time / K) against K for
 * both packings of one model, one thread, 128-bit parameters (the model's own), measured side by
 * side in one run: rounds go round-robin over the variants so that load from other processes hits
 * them alike; medians of --reps. Variants:
 * - single: the single-input plan (K = 1);
 * - lanes K: the single plan for N/2/K slots, K inputs interleaved (every K that fits);
 * - features: one input per slot; its plan and cost do not depend on K (the same operations run on
 *   all N/2 slots), so it is timed at K = N/2 and at K = 64 to show it, and the table divides.
 * With --constants, the features query is also timed with one constant plaintext + multiply_plain
 * + add per weight instead of the RNS matrix product (slow: one query takes minutes).
 * Writes bench/results/batch-<model>.md and .json and docs/batch-crossover-<model>.svg.
 *
 * Usage: node bench/batch.ts [--model mnist-mlp] [--reps 3] [--constants]
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { median } from '../core/math/median.ts'
import {
  compileModel,
  defaultCalibration,
  type CompiledModel,
} from '../service/compiler/compile.ts'
import type { CompileRecord } from '../service/models/index.ts'
import {
  createLocalRoundTrip,
  type LocalRoundTrip,
} from '../service/runtime/seal/local-round-trip.ts'
import { loadBatchPlan, runBatchPlan } from '../service/runtime/seal/run-batch-plan.ts'
import { encryptBatch } from '../core/he/encrypt-batch.ts'
import { loadCiphertext } from '../core/wire/ciphertext.ts'
import { renderLineChart } from '../training/plot/svg-chart.ts'
import { loadAverage, machineDescription, writeBenchResult } from './results-file.ts'

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'mnist-mlp' },
    reps: { type: 'string', default: '3' },
    constants: { type: 'boolean', default: false },
  },
})
const modelId = values.model
const reps = Number(values.reps)
const dir = join('models', modelId)
const record = JSON.parse(await readFile(join(dir, 'compile.json'), 'utf8')) as CompileRecord
const onnx = new Uint8Array(await readFile(join(dir, 'model.onnx')))
const loadAtStart = loadAverage()
const compile = (options: Parameters<typeof compileModel>[1]): CompiledModel =>
  compileModel(onnx, { ...record.options, ...options, parameters: record.parameters })

interface Variant {
  name: string
  packing: 'single' | 'lanes' | 'features'
  batch: number
  roundTrip: LocalRoundTrip
  run(): number
  times: number[]
  inputBytes: number
  outputBytes: number
  galoisKeyBytes: number
  rotations: number
}

const slotCount = record.parameters.polyModulusDegree / 2
const inputSize = compile({}).layerModel.inputSize
const variants: Variant[] = []

async function addVariant(
  name: string,
  packing: Variant['packing'],
  batch: number,
  compiled: CompiledModel,
  linearMap?: 'rns' | 'constants',
): Promise<void> {
  const roundTrip = await createLocalRoundTrip(compiled)
  const inputs = defaultCalibration(inputSize, batch, 7)
  let run: () => number
  let sizes: { inputBytes: number; outputBytes: number }
  if (packing === 'single') {
    const first = roundTrip.query(inputs[0])
    sizes = first
    run = () => roundTrip.query(inputs[0]).serverMs
  } else if (linearMap === 'constants') {
    // The server side only, on ciphertexts encrypted once (a client encryption per rep is not timed).
    const { ctx, clientKeys, evaluationKeys } = roundTrip
    const loaded = loadBatchPlan(ctx, compiled)
    if (loaded === undefined || roundTrip.batch === undefined) throw new Error('no batch plan')
    const bytes = encryptBatch(ctx, clientKeys, roundTrip.batch, inputs)
    const ciphertexts = bytes.map((b) => loadCiphertext(ctx, b, { level: loaded.inputLevel }))
    sizes = { inputBytes: bytes.reduce((sum, b) => sum + b.length, 0), outputBytes: NaN }
    run = () => {
      const result = runBatchPlan(ctx, loaded, evaluationKeys, ciphertexts, { linearMap })
      for (const output of result.outputs) output.delete()
      return result.totalMs
    }
  } else {
    const first = roundTrip.queryBatch(inputs)
    sizes = first
    run = () => roundTrip.queryBatch(inputs).serverMs
  }
  variants.push({
    name,
    packing,
    batch,
    roundTrip,
    run,
    times: [],
    inputBytes: sizes.inputBytes,
    outputBytes: sizes.outputBytes,
    galoisKeyBytes: roundTrip.galoisKeyBytes,
    rotations:
      packing === 'single'
        ? compiled.opCounts.rotations
        : (compiled.batch?.opCounts.rotations ?? 0),
  })
  process.stderr.write(`prepared ${name}\n`)
}

await addVariant('single', 'single', 1, compile({}))
for (let lanes = 2; lanes <= slotCount; lanes *= 2) {
  let compiled: CompiledModel
  try {
    compiled = compile({ batch: lanes, packing: 'lanes' })
  } catch {
    break
  }
  await addVariant(`lanes K=${lanes}`, 'lanes', lanes, compiled)
}
const features = compile({ batch: slotCount, packing: 'features' })
await addVariant(`features K=${slotCount}`, 'features', slotCount, features)
await addVariant('features K=64', 'features', 64, features)
if (values.constants)
  await addVariant(
    `features K=${slotCount}, constants`,
    'features',
    slotCount,
    features,
    'constants',
  )

// The service's validated load of one input ciphertext, by the compression it was sent with.
const inputLoadMs: Record<string, number> = {}
{
  const { ctx, clientKeys } = variants[0].roundTrip
  const level = compile({}).plan.depth
  const slots = Float64Array.from({ length: slotCount }, (_, i) => (i % 13) / 13)
  for (const compression of ['zstd', 'none'] as const) {
    const bytes = clientKeys.encryptSerialized(slots, { level, compression })
    const times = Array.from({ length: 20 }, () => {
      const started = performance.now()
      loadCiphertext(ctx, bytes, { level }).delete()
      return performance.now() - started
    })
    inputLoadMs[`${compression} (${(bytes.length / 1024).toFixed(0)} KB)`] = median(times)
  }
}

for (let rep = 0; rep < reps; rep++) {
  for (const variant of variants) {
    variant.times.push(variant.run())
    process.stderr.write(
      `rep ${rep + 1}/${reps} ${variant.name}: ${variant.times.at(-1)?.toFixed(0)} ms\n`,
    )
  }
}
for (const variant of variants) variant.roundTrip.delete()
const loadAtEnd = loadAverage()

const rows = variants.map((variant) => {
  const serverMs = median(variant.times)
  return {
    variant: variant.name,
    packing: variant.packing,
    batch: variant.batch,
    serverMs,
    msPerInput: serverMs / variant.batch,
    inputBytesPerInput: variant.inputBytes / variant.batch,
    outputBytesPerInput: variant.outputBytes / variant.batch,
    galoisKeyBytes: variant.galoisKeyBytes,
    rotations: variant.rotations,
    times: variant.times,
  }
})
const featuresFull = rows.find((row) => row.variant === `features K=${slotCount}`)
const single = rows[0]
const lanesRows = rows.filter((row) => row.packing === 'lanes')
// The features query costs the same at every K: msPerInput(K) = its serverMs / K.
const featuresCurve = [1, 4, 16, 64, 256, 1024, slotCount].map((k) => ({
  batch: k,
  msPerInput: (featuresFull?.serverMs ?? NaN) / k,
}))
const bestLanes = (k: number) =>
  Math.min(single.msPerInput, ...lanesRows.filter((row) => row.batch <= k).map((r) => r.msPerInput))
const crossover = featuresCurve.find((point) => point.msPerInput < bestLanes(point.batch))
const kb = (bytes: number) => (Number.isFinite(bytes) ? `${(bytes / 1024).toFixed(1)} KB` : '–')

const markdown = [
  `# Batch queries: ${modelId} (${new Date().toISOString()})`,
  '',
  `\`node bench/batch.ts --model ${modelId} --reps ${reps}${values.constants ? ' --constants' : ''}\` on ${machineDescription()};`,
  `load average ${loadAtStart} at the start, ${loadAtEnd} at the end (shared machine: compare rows, not absolute times).`,
  `N = ${record.parameters.polyModulusDegree}, chain [${record.parameters.coeffModulusBits.join(', ')}], one thread, medians of ${reps} interleaved rounds.`,
  '',
  '| variant | K | server ms per query | ms per input | input per input | output per input | Galois keys | rotations |',
  '| ------- | - | ------------------- | ------------ | --------------- | ---------------- | ----------- | --------- |',
  ...rows.map(
    (row) =>
      `| ${row.variant} | ${row.batch} | ${row.serverMs.toFixed(1)} | ${row.msPerInput.toFixed(3)} | ${kb(row.inputBytesPerInput)} | ${kb(row.outputBytesPerInput)} | ${(row.galoisKeyBytes / 1e6).toFixed(2)} MB | ${row.rotations} |`,
  ),
  '',
  `Features packing, ms per input at K (its query time ${featuresFull?.serverMs.toFixed(0)} ms does not depend on K): ` +
    featuresCurve.map((p) => `K=${p.batch}: ${p.msPerInput.toFixed(2)}`).join(', ') +
    '.',
  `Input load (validated, one ciphertext, median of 20): ${Object.entries(inputLoadMs)
    .map(([name, ms]) => `${name}: ${ms.toFixed(2)} ms`)
    .join(', ')}.`,
  '',
  crossover === undefined
    ? 'Features never beat the best lanes/single plan on this model.'
    : `Crossover: features beat every lanes plan from K = ${crossover.batch} (at ${crossover.msPerInput.toFixed(2)} ms per input; the best plan holding K inputs costs ${bestLanes(crossover.batch).toFixed(2)}).`,
  '',
].join('\n')

const svg = renderLineChart({
  title: `${modelId}: server ms per input vs inputs per query`,
  x: {
    label: 'inputs per query K',
    scale: 'log',
    min: 1,
    max: slotCount,
    ticks: [1, 4, 16, 64, 256, 1024, slotCount],
  },
  y: {
    label: 'ms per input (one thread)',
    scale: 'log',
    min: Math.min(...featuresCurve.map((p) => p.msPerInput)) / 2,
    max: Math.max(single.msPerInput, featuresCurve[0].msPerInput) * 2,
    ticks: [0.1, 1, 10, 100, 1000, 10000, 100000].filter(
      (tick) =>
        tick >= Math.min(...featuresCurve.map((p) => p.msPerInput)) / 2 &&
        tick <= Math.max(single.msPerInput, featuresCurve[0].msPerInput) * 2,
    ),
    format: (value) => String(value),
  },
  series: [
    {
      name: 'lanes (block packing)',
      points: [
        [1, single.msPerInput],
        ...lanesRows.map((r): [number, number] => [r.batch, r.msPerInput]),
      ],
      markers: true,
    },
    {
      name: 'features (one input per slot)',
      points: featuresCurve.map((p): [number, number] => [p.batch, p.msPerInput]),
      markers: true,
    },
  ],
})
await writeFile(`docs/batch-crossover-${modelId}.svg`, svg)
await writeBenchResult(`batch-${modelId}`, markdown, {
  model: modelId,
  loadAverage: { start: loadAtStart, end: loadAtEnd },
  rows,
  featuresCurve,
  crossover,
  inputLoadMs,
})
