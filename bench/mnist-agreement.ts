/**
 * HE against onnxruntime on MNIST test digits for compile options of models/mnist-mlp: argmax
 * agreement, accuracy of both, max |HE − onnxruntime| with the tolerance, median server time and the
 * ciphertext sizes (real encryption, one query per digit: service/models/compare-he.ts). The
 * lazy-output decision (bench/README.md, decision 7) cites this run. Calibrated on the first 64
 * training digits, evaluated on the model folder's held-out test indices.
 * Writes bench/results/mnist-agreement.md and .json. Long: nice -n 10, one run at a time.
 *
 * Usage: node bench/mnist-agreement.ts [--n 1000] [--variants '{"lazy output":{},"two-level":{"lazyOutput":false}}']
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { median } from '../core/math/median.ts'
import { compileModel, type CompileOptions } from '../service/compiler/compile.ts'
import { compareHeToPlain, labelAccuracy } from '../service/models/compare-he.ts'
import { loadSplits } from '../training/data/load.ts'
import { loadMnist } from '../training/data/mnist.ts'
import { loadAverage, machineDescription, writeBenchResult } from './results-file.ts'

const MODEL_DIR = 'models/mnist-mlp'
const CALIBRATION_DIGITS = 64
const DEFAULT_VARIANTS: Record<string, CompileOptions> = {
  'lazy output': {},
  'two-level': { lazyOutput: false },
}

const { values } = parseArgs({
  options: { n: { type: 'string', default: '1000' }, variants: { type: 'string' } },
})
const count = Number(values.n)
const variantOptions = values.variants
  ? (JSON.parse(values.variants) as Record<string, CompileOptions>)
  : DEFAULT_VARIANTS
const onnx = new Uint8Array(readFileSync(`${MODEL_DIR}/model.onnx`))
const { train } = loadSplits('mnist')
const calibration = Array.from({ length: CALIBRATION_DIGITS }, (_, i) =>
  train.inputs.subarray(i * train.inputSize, (i + 1) * train.inputSize),
)
const { indices } = JSON.parse(readFileSync(`${MODEL_DIR}/test-indices.json`, 'utf8')) as {
  indices: number[]
}
const digits = loadMnist()
const testRows = indices.slice(0, count)
const inputs = testRows.map((row) =>
  digits.inputs.subarray(row * digits.inputSize, (row + 1) * digits.inputSize),
)
const labels = testRows.map((row) => digits.labels[row])

const rows = []
for (const [variant, options] of Object.entries(variantOptions)) {
  const compiled = compileModel(onnx, { ...options, calibration })
  const check = await compareHeToPlain(compiled, onnx, inputs, (done) =>
    process.stderr.write(`\r${variant}: ${done}/${inputs.length}`),
  )
  process.stderr.write('\n')
  const accuracy = labelAccuracy(check, labels)
  rows.push({
    variant,
    options,
    coeffModulusBits: compiled.parameters.coeffModulusBits,
    scaleBits: compiled.parameters.scaleBits,
    weightScaleBits: compiled.parameters.weightScaleBits,
    ...check.comparison,
    plainAccuracy: accuracy.plain,
    heAccuracy: accuracy.he,
    serverMsMedian: median(check.serverMs),
    inputBytes: check.queries[0].inputBytes,
    outputBytes: check.queries[0].outputBytes,
  })
}

const machine = machineDescription()
const date = new Date().toISOString()
const percent = (fraction: number) => `${(100 * fraction).toFixed(1)}%`
const markdown = [
  `# HE vs onnxruntime on ${count} MNIST test digits, models/mnist-mlp (${date})`,
  '',
  `Machine: ${machine}; load average ${loadAverage()} at the end. Command: \`npm run bench:mnist-agreement -- --n ${count}${values.variants ? ` --variants '${values.variants}'` : ''}\`. Variants run one after the other (times are comparable only under the same load).`,
  '',
  '| variant | options | log Q (bits) | s / w | argmax agreement | plain acc | HE acc | max abs error (tolerance) | server ms (p50) | input KB | output KB |',
  '|---|---|---|---|---|---|---|---|---|---|---|',
  ...rows.map(
    (row) =>
      `| ${row.variant} | \`${JSON.stringify(row.options)}\` | ${row.coeffModulusBits.join('+')} | ${row.scaleBits} / ${row.weightScaleBits} | ${percent(row.argmaxAgreement)} | ${percent(row.plainAccuracy)} | ${percent(row.heAccuracy)} | ${row.maxAbsError.toExponential(2)} (${row.tolerance.toExponential(2)}) | ${row.serverMsMedian.toFixed(1)} | ${(row.inputBytes / 1024).toFixed(1)} | ${(row.outputBytes / 1024).toFixed(1)} |`,
  ),
  '',
].join('\n')
await writeBenchResult('mnist-agreement', markdown, { date, machine, count, rows })
