/**
 * npm run bench: the bench table for the bundled models (models/<id>/), plus, for every 784-input
 * model, the straightforward baseline strategy and the compiler's other options side by side in the
 * same run (queries interleaved round-robin, so load from other processes hits all variants alike).
 * Medians of --reps (default 10) after one warm-up query. Writes bench/results/bench.json and .md.
 *
 * The speed targets run in the same round-robin: the PyTorch fixtures of test/fixtures/torch
 * (Conv(1->5, k5, s2, p1) -> x*x -> Gemm(845->10), the LeNet-style two-conv net, and the ReLU and
 * square MLPs 784-64-10), compiled here with the committed Fashion-MNIST calibration images, each
 * with its target and Galois-key budget in the table (`--targets-only` benches just those), and
 * the ReLU MLP also with its activation fitted at degree 2, 3 and 7.
 *
 * Usage: node bench/run.ts [--reps 10] [--models-dir models] [--variants] [--targets-only]
 * (--targets-only writes bench/results/speed-targets.md and .json instead)
 */
import { readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import {
  compileModel,
  defaultCalibration,
  type CompileOptions,
  type CompiledModel,
} from '../service/compiler/compile.ts'
import { listModels, loadModelDirectory } from '../service/models/index.ts'
import {
  createLocalRoundTrip,
  type LocalRoundTrip,
} from '../service/runtime/seal/local-round-trip.ts'
import { summarize, type ModelBench } from '../service/models/bench-compiled-model.ts'
import { loadAverage, machineDescription, writeBenchResult } from './results-file.ts'

interface Variant {
  model: string
  variant: string
  compiled: CompiledModel
  roundTrip?: LocalRoundTrip
  times: number[]
  layers: Array<Record<string, number>>
  sample?: { inputBytes: number; outputBytes: number }
}

const { values } = parseArgs({
  options: {
    reps: { type: 'string' },
    'models-dir': { type: 'string' },
    variants: { type: 'boolean' },
    'targets-only': { type: 'boolean' },
  },
})
const reps = Number(values.reps ?? 10)
const modelsDir = values['models-dir'] ?? 'models'

/** Extra compile options benched beside the default, for models with a 784-element input. */
const VARIANTS: Record<string, CompileOptions> = {
  baseline: { strategy: 'baseline', maxOutputScaleBits: 40 },
  'two-level': { lazyOutput: false },
  'client-fold': { clientFold: true },
  'fold-radix-4': { foldRadix: 4 },
  'rescale-end': { rescaleGroups: false },
}

/**
 * The speed targets: fixture, target and goal in ms (or relative to another fixture), key budget;
 * `options` compile a fixture with other approximation settings (the ReLU MLP's degree trade-off:
 * its agreement with onnxruntime per degree is in bench/results/fixture-accuracy.md).
 */
const TARGETS: Array<{
  fixture: string
  target: string
  keyBudgetMB: number
  variant?: string
  options?: CompileOptions
}> = [
  { fixture: 'conv-square-gemm', target: '<= 250 ms (goal 100)', keyBudgetMB: 10 },
  { fixture: 'lenet-square', target: '<= 1000 ms (goal 500)', keyBudgetMB: 32 },
  { fixture: 'mlp-square', target: 'reference for mlp-relu', keyBudgetMB: 10 },
  { fixture: 'mlp-relu', target: '<= 2 x mlp-square', keyBudgetMB: 10 },
  ...[2, 3, 7].map((degree) => ({
    fixture: 'mlp-relu',
    target: '<= 2 x mlp-square',
    keyBudgetMB: 10,
    variant: `degree ${degree}, margin 1`,
    options: { approximation: { degree, margin: 1 } },
  })),
]
const FIXTURES = 'test/fixtures/torch'

const variants: Variant[] = []
const targetProblems: string[] = []
const calibration = JSON.parse(
  readFileSync(join(FIXTURES, 'fashion-mnist-calibration.json'), 'utf8'),
) as number[][]
for (const { fixture, variant = 'target', options } of TARGETS) {
  try {
    const onnx = new Uint8Array(readFileSync(join(FIXTURES, `${fixture}.onnx`)))
    const compiled = compileModel(onnx, { calibration, ...options })
    variants.push({ model: fixture, variant, compiled, times: [], layers: [] })
  } catch (error) {
    targetProblems.push(
      `${fixture} (${variant}): not compiled (${(error as Error).message.split('\n')[0]})`,
    )
  }
}
for (const id of values['targets-only'] ? [] : await listModels(modelsDir)) {
  const dir = join(modelsDir, id)
  const { card, compiled } = await loadModelDirectory(dir)
  variants.push({ model: id, variant: 'default', compiled, times: [], layers: [] })
  if (compiled.layerModel.inputSize === 784) {
    const onnx = new Uint8Array(await readFile(join(dir, card.onnxFile)))
    const extra = values.variants ? Object.entries(VARIANTS) : Object.entries(VARIANTS).slice(0, 2)
    for (const [name, options] of extra) {
      variants.push({
        model: id,
        variant: name,
        compiled: compileModel(onnx, options),
        times: [],
        layers: [],
      })
    }
  }
}
for (const variant of variants) variant.roundTrip = await createLocalRoundTrip(variant.compiled)

const loadBefore = loadAverage()
for (let rep = 0; rep <= reps; rep++) {
  for (const variant of variants) {
    const [input] = defaultCalibration(variant.compiled.layerModel.inputSize, 1, 7 + rep)
    const result = variant.roundTrip!.query(input)
    if (rep === 0) {
      variant.sample = result
      continue
    }
    variant.times.push(result.serverMs)
    variant.layers.push(result.layerMs)
  }
  process.stderr.write(`\rbench rep ${rep}/${reps}`)
}
process.stderr.write('\n')
const loadAfter = loadAverage()

const rows: Array<{ model: string; variant: string } & ModelBench> = variants.map((variant) => ({
  model: variant.model,
  variant: variant.variant,
  ...summarize(
    variant.compiled,
    variant.roundTrip!,
    variant.sample!,
    variant.times,
    variant.layers,
  ),
}))
for (const variant of variants) variant.roundTrip!.delete()

const machine = machineDescription()
const date = new Date().toISOString()
const mb = (bytes: number) => (bytes / 1e6).toFixed(2)
const kb = (bytes: number) => (bytes / 1024).toFixed(1)
const markdown = [
  `# privinfer bench (${date})`,
  '',
  `Machine: ${machine}. Command: \`npm run bench -- --reps ${reps}${values.variants ? ' --variants' : ''}${values['targets-only'] ? ' --targets-only' : ''}\`. Server time = ciphertext in, ciphertext out (one query, one thread), median of ${reps} after a warm-up; variants interleaved round-robin. Sizes as sent (seed-compressed + zstd). Load average (1, 5, 15 min) before the timed reps ${loadBefore}, after ${loadAfter}.`,
  '',
  '## Speed targets (test/fixtures/torch, 128-bit, one thread)',
  '',
  '| fixture | variant | target | server ms (p50) | Galois keys MB (budget) | N | depth | rotations |',
  '|---|---|---|---|---|---|---|---|',
  ...TARGETS.flatMap(({ fixture, target, keyBudgetMB, variant = 'target' }) => {
    const row = rows.find(
      (candidate) => candidate.model === fixture && candidate.variant === variant,
    )
    if (row === undefined) return []
    return [
      `| ${fixture} | ${variant === 'target' ? 'default' : variant} | ${target} | ${row.serverMs.toFixed(1)} | ${mb(row.galoisKeyBytes)} (<= ${keyBudgetMB}) | ${row.polyModulusDegree} | ${row.depth} | ${row.opCounts.rotations} |`,
    ]
  }),
  ...targetProblems.map((problem) => `\n${problem}`),
  '',
  '## Every model and variant',
  '',
  '| model | variant | N | log Q (bits) | depth | rotations | server ms (p50) | per layer ms | Galois keys MB (steps) | relin MB | input KB | output KB |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ...rows.map(
    (row) =>
      `| ${row.model} | ${row.variant} | ${row.polyModulusDegree} | ${row.coeffModulusBits.join('+')} | ${row.depth} | ${row.opCounts.rotations} | ${row.serverMs.toFixed(1)} | ${Object.entries(
        row.layerMs,
      )
        .map(([name, ms]) => `${name} ${ms.toFixed(1)}`)
        .join(
          ', ',
        )} | ${mb(row.galoisKeyBytes)} (${row.galoisSteps.length}) | ${mb(row.relinKeyBytes)} | ${kb(row.inputBytes)} | ${kb(row.outputBytes)} |`,
  ),
  '',
].join('\n')
// --targets-only keeps the full table of bench.md: its rows go to speed-targets.md.
await writeBenchResult(values['targets-only'] ? 'speed-targets' : 'bench', markdown, {
  date,
  machine,
  reps,
  rows,
})
