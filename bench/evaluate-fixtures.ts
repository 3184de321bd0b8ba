/**
 * Accuracy under real encryption of the PyTorch conv fixtures on the 1,000 fixed Fashion-MNIST test
 * images (test/fixtures/torch/fashion-mnist-test-indices.json), measured with the product's own
 * commands: `privinfer import` (with the committed calibration images, --dataset fashion-mnist and
 * the indices) into a temporary models folder, then `privinfer evaluate --n 1000 --json`. Writes
 * bench/results/fixture-accuracy.md and .json: onnxruntime accuracy, HE accuracy, argmax agreement,
 * max |HE − onnxruntime| against the precision target 1e-3 · max |output|, server time.
 *
 * Usage: nice -n 10 node bench/evaluate-fixtures.ts [--fixtures conv-square-gemm,lenet-square] [--n 1000]
 * One long job: run it alone (it takes minutes per fixture).
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs, promisify } from 'node:util'
import { createPlainModel } from '../service/plain/onnx-runtime.ts'
import { loadFashionMnist } from '../training/data/fashion-mnist.ts'
import { loadAverage, machineDescription, writeBenchResult } from './results-file.ts'

const run = promisify(execFile)
const FIXTURES = 'test/fixtures/torch'
const { values } = parseArgs({
  options: { fixtures: { type: 'string' }, n: { type: 'string' } },
})
const names = (values.fixtures ?? 'conv-square-gemm,lenet-square,cnn-relu').split(',')
const count = Number(values.n ?? 1000)

async function privinfer(args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run(process.execPath, ['cli/privinfer.ts', ...args, '--json'], {
    maxBuffer: 1 << 26,
  })
  const lines = stdout.trim().split('\n')
  return JSON.parse(lines[lines.length - 1]) as Record<string, unknown>
}

const indices = (
  JSON.parse(await readFile(join(FIXTURES, 'fashion-mnist-test-indices.json'), 'utf8')) as {
    indices: number[]
  }
).indices.slice(0, count)
const test = loadFashionMnist().test
const images = indices.map((row) =>
  Float64Array.from(test.inputs.subarray(row * 784, (row + 1) * 784)),
)

const dir = await mkdtemp(join(tmpdir(), 'privinfer-fixture-eval-'))
const rows: Array<Record<string, unknown>> = []
try {
  for (const name of names) {
    const onnxPath = join(FIXTURES, `${name}.onnx`)
    const started = performance.now()
    const loadBefore = loadAverage()
    try {
      await privinfer([
        'import',
        onnxPath,
        '--id',
        name,
        '--models-dir',
        dir,
        '--calibration',
        join(FIXTURES, 'fashion-mnist-calibration.json'),
        '--compare',
        '4',
        '--dataset',
        'fashion-mnist',
        '--test-indices',
        join(FIXTURES, 'fashion-mnist-test-indices.json'),
      ])
    } catch (error) {
      const message = ((error as { stderr?: string }).stderr ?? String(error)).split('\n')[0]
      rows.push({ fixture: name, problem: `not imported: ${message}` })
      process.stderr.write(`${name}: not imported (${message})\n`)
      continue
    }
    const result = await privinfer([
      'evaluate',
      '--model',
      name,
      '--models-dir',
      dir,
      '--n',
      String(count),
    ])
    const plain = await createPlainModel(new Uint8Array(await readFile(onnxPath)))
    const outputs = await plain.run(images)
    await plain.close()
    let maxOutput = 0
    for (const output of outputs)
      for (const value of output) maxOutput = Math.max(maxOutput, Math.abs(value))
    rows.push({
      fixture: name,
      examples: result.examples,
      plainAccuracy: result.plainAccuracy,
      approximatedAccuracy: result.approximatedAccuracy,
      heAccuracy: result.heAccuracy,
      argmaxAgreement: result.argmaxAgreement,
      maxAbsError: result.maxAbsError,
      maxAbsOutput: maxOutput,
      precisionTarget: 1e-3 * maxOutput,
      serverMsMedian: result.serverMsMedian,
      minutes: (performance.now() - started) / 60_000,
      loadBefore,
      loadAfter: loadAverage(),
    })
    process.stderr.write(`${name}: ${JSON.stringify(rows[rows.length - 1])}\n`)
  }
} finally {
  await rm(dir, { recursive: true, force: true })
}

const percent = (value: unknown) =>
  typeof value === 'number' ? `${(100 * value).toFixed(2)}%` : 'n/a'
const markdown = [
  `# Conv fixtures under encryption (${new Date().toISOString()})`,
  '',
  `Machine: ${machineDescription()}. Command: \`nice -n 10 node bench/evaluate-fixtures.ts --fixtures ${names.join(',')} --n ${count}\` ` +
    '(privinfer import with the committed calibration images, then privinfer evaluate). Test data: the first ' +
    `${count} of the 1,000 fixed Fashion-MNIST t10k rows (test/fixtures/torch/fashion-mnist-test-indices.json). ` +
    'Precision target: 1e-3 x max |output| over these images.',
  '',
  '| fixture | images | onnxruntime acc. | approximated acc. | HE acc. | argmax agreement | max abs error | target | server ms (p50) | minutes | load before / after |',
  '|---|---|---|---|---|---|---|---|---|---|---|',
  ...rows.map((row) =>
    row.problem
      ? `| ${row.fixture} | ${row.problem} |||||||||`
      : `| ${row.fixture} | ${row.examples} | ${percent(row.plainAccuracy)} | ${percent(row.approximatedAccuracy)} | ${percent(row.heAccuracy)} | ${percent(row.argmaxAgreement)} | ${(row.maxAbsError as number).toExponential(2)} | ${(row.precisionTarget as number).toExponential(2)} | ${(row.serverMsMedian as number).toFixed(1)} | ${(row.minutes as number).toFixed(1)} | ${row.loadBefore} / ${row.loadAfter} |`,
  ),
  '',
].join('\n')
await writeBenchResult('fixture-accuracy', markdown, { machine: machineDescription(), rows })
