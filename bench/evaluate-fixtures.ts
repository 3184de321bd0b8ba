/**
 * Accuracy under real encryption of the trained PyTorch fixtures (test/fixtures/torch): the 1,000
 * fixed Fashion-MNIST test images (test/fixtures/torch/fashion-mnist-test-indices.json), or every
 * row of the breast-cancer table for the tabular model. Per fixture, three accuracies side by side:
 * onnxruntime on the ONNX file, the approximated model in float64 (fitted activations in place of
 * Relu, Sigmoid, ...: what the plan computes), and the decrypted HE outputs; the HE decisions'
 * agreement with onnxruntime; max |HE − onnxruntime| (after the card's post-processing) and
 * max |HE − approximated float64| against the precision target 1e-3 × max |plan output|.
 *
 * The model is compiled as `privinfer import` does (compileModel with the committed calibration
 * inputs) and run through compareHeToPlain, the round trip `privinfer evaluate` uses (client keys,
 * encryption, validated load, plan, decryption). It is not loaded back from a model folder, because
 * the loader re-fits the activations without the calibration inputs (compile.json does not keep
 * them), which would evaluate another polynomial than the one import checked.
 *
 * The float64 figures (onnxruntime, approximated) always cover every test input; the HE figures
 * cover the first `name:count` of them when a count is given (`--fixtures mlp-relu:200`): a fitted
 * MLP at N=16384 takes seconds per query on a loaded machine. The HE outputs are compared with the
 * approximated float64 outputs too, so the decisions of the inputs not run under HE are those of
 * the float64 plan up to an error that the HE columns bound.
 *
 * Writes bench/results/fixture-accuracy.md and .json after every fixture; rows of earlier runs for
 * other fixtures are kept, so fixtures can be measured one run at a time.
 *
 * Usage: nice -n 10 node bench/evaluate-fixtures.ts [--fixtures conv-square-gemm,mlp-relu:200] [--n 1000]
 * One long job (minutes per fixture).
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { applyPostprocessing, decisionOf } from '../core/postprocessing.ts'
import { median } from '../core/math/median.ts'
import { compileModel } from '../service/compiler/compile.ts'
import { evaluateLayerModel } from '../service/compiler/evaluate-layer-model.ts'
import { compareHeToPlain } from '../service/models/compare-he.ts'
import { createPlainModel } from '../service/plain/onnx-runtime.ts'
import { loadFashionMnist } from '../training/data/fashion-mnist.ts'
import { loadAverage, machineDescription, writeBenchResult } from './results-file.ts'

const FIXTURES = 'test/fixtures/torch'
const ALL = [
  'conv-square-gemm',
  'mlp-square',
  'mlp-deep-square',
  'mlp-softmax',
  'tabular-sigmoid',
  'mlp-relu',
  'mlp-sigmoid',
  'mlp-tanh',
  'mlp-silu',
  'mlp-gelu',
  'mlp-bn-relu',
  'lenet-square',
  'cnn-relu',
]
const { values } = parseArgs({
  options: { fixtures: { type: 'string' }, n: { type: 'string' } },
})
const requests = (values.fixtures?.split(',') ?? ALL).map((entry) => {
  const [name, he] = entry.split(':')
  return { name, heCount: he === undefined ? Infinity : Number(he) }
})
const count = Number(values.n ?? 1000)
const RESULTS_JSON = 'bench/results/fixture-accuracy.json'
const SCHEMA = 2

interface Row {
  fixture: string
  problem?: string
  commit: string
  examples: number
  heExamples: number
  approximatedAgreement: number
  polyModulusDegree: number
  depth: number
  approximations: string
  plainAccuracy: number
  approximatedAccuracy: number
  heAccuracy: number
  /** onnxruntime's accuracy on the inputs run under HE (when they are fewer than all). */
  plainAccuracyOnHeInputs?: number
  agreement: number
  maxAbsHeVsOnnx: number
  maxAbsHeVsApproximated: number
  precisionTarget: number
  tolerance: number
  serverMsMedian: number
  minutes: number
  loadBefore: string
  loadAfter: string
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T
}

interface Data {
  calibration: number[][]
  inputs: Float64Array[]
  labels: number[]
  description: string
}

let fashion: Data | undefined
function dataOf(name: string): Data {
  if (name.startsWith('tabular')) {
    const table = readJson<{
      features: number[][]
      labels: number[]
      trainRows: number[]
    }>(join(FIXTURES, 'breast-cancer.json'))
    return {
      calibration: table.trainRows.map((row) => table.features[row]),
      inputs: table.features.map((row) => Float64Array.from(row)),
      labels: table.labels,
      description: `all ${table.features.length} rows of the breast-cancer table`,
    }
  }
  if (fashion) return fashion
  const indices = readJson<{ indices: number[] }>(
    join(FIXTURES, 'fashion-mnist-test-indices.json'),
  ).indices.slice(0, count)
  const test = loadFashionMnist().test
  fashion = {
    calibration: readJson<number[][]>(join(FIXTURES, 'fashion-mnist-calibration.json')),
    inputs: indices.map((row) =>
      Float64Array.from(test.inputs.subarray(row * 784, (row + 1) * 784)),
    ),
    labels: indices.map((row) => test.labels[row]),
    description: `${indices.length} fixed Fashion-MNIST test images`,
  }
  return fashion
}

const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()
let previous: Row[] = []
try {
  const file = readJson<{ schema?: number; rows: Row[] }>(RESULTS_JSON)
  if (file.schema === SCHEMA) previous = file.rows
} catch {
  // No earlier run: start empty.
}
const rows = new Map(previous.map((row) => [row.fixture, row]))

async function measure(name: string, heCount: number): Promise<Row> {
  const started = performance.now()
  const loadBefore = loadAverage()
  const onnxBytes = new Uint8Array(readFileSync(join(FIXTURES, `${name}.onnx`)))
  const data = dataOf(name)
  const compiled = compileModel(onnxBytes, { calibration: data.calibration })
  const post = compiled.layerModel.postprocessing
  let lastReport = performance.now()
  const heInputs = data.inputs.slice(0, Math.min(heCount, data.inputs.length))
  const check =
    heInputs.length === 0
      ? undefined
      : await compareHeToPlain(compiled, onnxBytes, heInputs, (done, last) => {
          if (performance.now() - lastReport > 30_000 || done === heInputs.length) {
            lastReport = performance.now()
            process.stderr.write(
              `${name}: ${done}/${heInputs.length} (${last.serverMs.toFixed(0)} ms)\n`,
            )
          }
        })
  const plain = await createPlainModel(onnxBytes)
  const onnxOutputs = await plain.run(data.inputs)
  await plain.close()
  let plainCorrect = 0
  let approximatedCorrect = 0
  let heCorrect = 0
  let plainCorrectOnHeInputs = 0
  let agreeing = 0
  let approximatedAgreeing = 0
  let maxAbsHeVsOnnx = 0
  let maxPlanOutput = 0
  data.inputs.forEach((x, r) => {
    const approximated = evaluateLayerModel(compiled.approximatedModel, x)
    const onnx = onnxOutputs[r]
    const label = data.labels[r]
    const approximatedDecision = decisionOf(applyPostprocessing(post, approximated), post)
    for (const value of approximated) maxPlanOutput = Math.max(maxPlanOutput, Math.abs(value))
    if (decisionOf(onnx, post) === label) plainCorrect++
    if (approximatedDecision === label) approximatedCorrect++
    if (approximatedDecision === decisionOf(onnx, post)) approximatedAgreeing++
    if (check === undefined || r >= heInputs.length) return
    // compareHeToPlain's outputs are post-processed already (the ONNX model's own outputs).
    const he = check.heOutputs[r]
    for (let j = 0; j < he.length; j++)
      maxAbsHeVsOnnx = Math.max(maxAbsHeVsOnnx, Math.abs(he[j] - onnx[j]))
    if (decisionOf(he, post) === label) heCorrect++
    if (decisionOf(onnx, post) === label) plainCorrectOnHeInputs++
    if (decisionOf(he, post) === decisionOf(onnx, post)) agreeing++
  })
  // Before the post-processing: the CKKS error alone (decrypted vs float64 plan).
  const maxAbsHeVsApproximated = check?.precision.maxAbsError ?? NaN
  const n = data.inputs.length
  const heN = heInputs.length
  return {
    fixture: name,
    commit,
    examples: n,
    heExamples: heN,
    approximatedAgreement: approximatedAgreeing / n,
    polyModulusDegree: compiled.parameters.polyModulusDegree,
    depth: compiled.depth,
    approximations: compiled.approximations
      .map(
        (a) =>
          `${a.function} deg ${a.degree} on [${a.interval.map((v) => v.toFixed(1)).join(', ')}]`,
      )
      .join('; '),
    plainAccuracy: plainCorrect / n,
    approximatedAccuracy: approximatedCorrect / n,
    heAccuracy: heCorrect / heN,
    plainAccuracyOnHeInputs: plainCorrectOnHeInputs / heN,
    agreement: agreeing / heN,
    maxAbsHeVsOnnx,
    maxAbsHeVsApproximated,
    precisionTarget: 1e-3 * maxPlanOutput,
    tolerance: check?.comparison.tolerance ?? NaN,
    serverMsMedian: check ? median(check.serverMs) : NaN,
    minutes: (performance.now() - started) / 60_000,
    loadBefore,
    loadAfter: loadAverage(),
  }
}

const percent = (value: number) => (Number.isFinite(value) ? `${(100 * value).toFixed(1)}%` : 'n/a')
const exp = (value: number) => (Number.isFinite(value) ? value.toExponential(2) : 'n/a')

async function write(): Promise<void> {
  const ordered = [...rows.values()].sort((a, b) => ALL.indexOf(a.fixture) - ALL.indexOf(b.fixture))
  const markdown = [
    '# Trained PyTorch fixtures under encryption',
    '',
    `Machine: ${machineDescription()}. Command: \`flock /work/coord/heavy.lock nice -n 10 node bench/evaluate-fixtures.ts [--fixtures a,b]\`; ` +
      'each row records the commit and the load average (1, 5, 15 min) before and after it ran. Test data: the 1,000 fixed ' +
      'Fashion-MNIST t10k rows (test/fixtures/torch/fashion-mnist-test-indices.json), every row of the breast-cancer table ' +
      'for tabular-sigmoid. Compiled as `privinfer import` does (committed calibration: 64 Fashion-MNIST training images, ' +
      'or the 427 training rows of the table), run through the round trip of `privinfer evaluate` (compareHeToPlain).',
    '',
    "Accuracies: onnxruntime (the ONNX file), approximated (the plan's model in float64: fitted polynomials in place of " +
      "non-polynomial activations), both over every input; HE (decrypted outputs, after the card's post-processing) over " +
      'the first "HE inputs" of them (in brackets: onnxruntime on those). Agreement: decision = onnxruntime decision (argmax; probability > 0.5 for the ' +
      'sigmoid output), of the approximated float64 model (all inputs) and of HE. Targets: agreement >= 98%; models ' +
      'polynomial all the way >= 99.9% and max |HE − approximated| <= target = 1e-3 x max |plan output|.',
    '',
    '| fixture | N / depth | inputs / HE inputs | onnxruntime | approximated | HE | agreement approx / HE | max \\|HE − ort\\| | max \\|HE − approx\\| | target | tolerance | server ms (p50) | commit | load before / after |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...ordered.map((row) =>
      row.problem
        ? `| ${row.fixture} | ${row.problem} ||||||||||||`
        : `| ${row.fixture} | ${row.polyModulusDegree} / ${row.depth} | ${row.examples} / ${row.heExamples} | ${percent(row.plainAccuracy)} | ${percent(row.approximatedAccuracy)} | ${percent(row.heAccuracy)}${row.plainAccuracyOnHeInputs !== undefined && row.heExamples < row.examples ? ` (ort ${percent(row.plainAccuracyOnHeInputs)})` : ''} | ${percent(row.approximatedAgreement)} / ${percent(row.agreement)} | ${exp(row.maxAbsHeVsOnnx)} | ${exp(row.maxAbsHeVsApproximated)} | ${exp(row.precisionTarget)} | ${exp(row.tolerance)} | ${Number.isFinite(row.serverMsMedian) ? row.serverMsMedian.toFixed(0) : 'n/a'} | ${row.commit} | ${row.loadBefore} / ${row.loadAfter} |`,
    ),
    '',
    'Fitted activations (function, degree, interval over all features):',
    '',
    ...ordered
      .filter((row) => row.approximations)
      .map((row) => `- ${row.fixture}: ${row.approximations}`),
    '',
  ].join('\n')
  await writeBenchResult('fixture-accuracy', markdown, {
    schema: SCHEMA,
    machine: machineDescription(),
    rows: ordered,
  })
}

for (const { name, heCount } of requests) {
  try {
    rows.set(name, await measure(name, heCount))
  } catch (error) {
    const message = (error as Error).message.split('\n')[0].slice(0, 300)
    process.stderr.write(`${name}: ${message}\n`)
    rows.set(name, { fixture: name, problem: `failed: ${message}`, commit } as Row)
  }
  await write()
}
