/**
 * Convolution packing candidates, side by side in one run (docs/design.md §Convolutions):
 * - conv-square-gemm (Conv(1->5, k5, s2, p1) -> x*x -> Gemm(845->10)): placed outputs on client
 *   replicas (rescale per giant group or once at the end) vs the convolution as a dense 845x784
 *   matrix through the generalized diagonal method (pre-rotated replicas, row period 1024);
 * - lenet-square (two convolutions, squares, average pools): the first pool as a fold on the grid
 *   vs composed into the second convolution (a 10x10 stride-2 window), rescale per group vs at the end.
 * Each variant is checked against onnxruntime on the committed sample images (max |error|, argmax)
 * before it is timed. Queries interleave round-robin; medians of --reps after a warm-up.
 *
 * Usage: nice -n 10 node bench/conv-packing.ts [--reps 10] [--only substring]
 * (writes bench/results/conv-packing.md)
 */
import { readFileSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { argmax } from '../core/math/argmax.ts'
import { median } from '../core/math/median.ts'
import {
  compileLayerModel,
  type CompileOptions,
  type CompiledModel,
} from '../service/compiler/compile.ts'
import type { LayerModel, LinearLayer } from '../service/compiler/ir.ts'
import { importOnnx } from '../service/compiler/onnx-import.ts'
import { createPlainModel } from '../service/plain/onnx-runtime.ts'
import {
  createLocalRoundTrip,
  type LocalRoundTrip,
} from '../service/runtime/seal/local-round-trip.ts'
import { countOps } from '../service/compiler/plan/plan.ts'

const FIXTURES = 'test/fixtures/torch'
const { values } = parseArgs({ options: { reps: { type: 'string' }, only: { type: 'string' } } })
const reps = Number(values.reps ?? 10)

/**
 * The fixture imported by the ONNX front end; `windows: false` drops the window geometry (the
 * convolution is then a dense matrix for the generalized diagonal method), `poolFlags: false`
 * drops the average-pool marks (pools compose into the next convolution).
 */
function layerModelOf(file: string, options: { windows: boolean; poolFlags: boolean }): LayerModel {
  const model = importOnnx(new Uint8Array(readFileSync(join(FIXTURES, file))))
  return {
    ...model,
    layers: model.layers.map((layer) => {
      if (layer.kind !== 'linear') return layer
      const copy: LinearLayer = { ...layer }
      if (!options.windows) delete copy.window
      if (!options.poolFlags) delete copy.averagePool
      return copy
    }),
  }
}

interface Candidate {
  model: string
  variant: string
  compiled: CompiledModel
  roundTrip?: LocalRoundTrip
  times: number[]
  layers: Array<Record<string, number>>
  maxAbsError: number
  agreement: number
  compileMs: number
}

const sample = JSON.parse(readFileSync(join(FIXTURES, 'fashion-mnist-sample.json'), 'utf8')) as {
  pixelsBase64: string
}
const pixels = Buffer.from(sample.pixelsBase64, 'base64')
const images = Array.from({ length: 32 }, (_, i) =>
  Float64Array.from(pixels.subarray(i * 784, (i + 1) * 784), (b) => b / 255),
)
const calibration = (
  JSON.parse(readFileSync(join(FIXTURES, 'fashion-mnist-calibration.json'), 'utf8')) as number[][]
).slice(0, 32)

const specs: Array<{
  model: string
  variant: string
  windows: boolean
  poolFlags: boolean
  options: CompileOptions
}> = [
  {
    model: 'conv-square-gemm',
    variant: 'placed, rescale per group',
    windows: true,
    poolFlags: true,
    options: {},
  },
  {
    model: 'conv-square-gemm',
    variant: 'placed, rescale at end',
    windows: true,
    poolFlags: true,
    options: { rescaleGroups: false },
  },
  {
    model: 'conv-square-gemm',
    variant: 'dense 845x784 diagonals',
    windows: false,
    poolFlags: false,
    options: {},
  },
  {
    model: 'lenet-square',
    variant: 'placed, pool by fold',
    windows: true,
    poolFlags: true,
    options: {},
  },
  {
    model: 'lenet-square',
    variant: 'placed, pool by fold, rescale at end',
    windows: true,
    poolFlags: true,
    options: { rescaleGroups: false },
  },
  {
    model: 'lenet-square',
    variant: 'placed, pool composed into conv2',
    windows: true,
    poolFlags: false,
    options: {},
  },
]

const candidates: Candidate[] = []
for (const spec of specs) {
  if (values.only && !`${spec.model} / ${spec.variant}`.includes(values.only)) continue
  const started = performance.now()
  const layerModel = layerModelOf(`${spec.model}.onnx`, spec)
  const compiled = compileLayerModel(layerModel, { calibration, ...spec.options })
  const compileMs = performance.now() - started
  const roundTrip = await createLocalRoundTrip(compiled)
  const plain = await createPlainModel(
    new Uint8Array(readFileSync(join(FIXTURES, `${spec.model}.onnx`))),
  )
  const expected = await plain.run(images.slice(0, 8))
  await plain.close()
  let maxAbsError = 0
  let agree = 0
  expected.forEach((reference, i) => {
    const { outputs } = roundTrip.query(images[i])
    for (let j = 0; j < reference.length; j++)
      maxAbsError = Math.max(maxAbsError, Math.abs(outputs[j] - reference[j]))
    if (argmax(outputs) === argmax(reference)) agree++
  })
  candidates.push({
    ...spec,
    compiled,
    roundTrip,
    times: [],
    layers: [],
    maxAbsError,
    agreement: agree / expected.length,
    compileMs,
  })
  process.stderr.write(compiled.reasons.map((line) => `  ${line}\n`).join(''))
  process.stderr.write(
    `${spec.model} / ${spec.variant}: compiled in ${compileMs.toFixed(0)} ms, max |error| ${maxAbsError.toExponential(2)}\n`,
  )
}

const loadBefore = loadavg()
for (let rep = 0; rep <= reps; rep++) {
  for (const candidate of candidates) {
    const result = candidate.roundTrip!.query(images[rep % images.length])
    if (rep > 0) {
      candidate.times.push(result.serverMs)
      candidate.layers.push(result.layerMs)
    }
  }
  process.stderr.write(`\rrep ${rep}/${reps}`)
}
process.stderr.write('\n')
const loadAfter = loadavg()

const mb = (bytes: number) => (bytes / 1e6).toFixed(2)
const rows = candidates.map((candidate) => {
  const counts = countOps(candidate.compiled.plan)
  const row = [
    candidate.model,
    candidate.variant,
    candidate.compiled.parameters.polyModulusDegree,
    candidate.compiled.parameters.coeffModulusBits.join('+'),
    candidate.compiled.depth,
    counts.rotations,
    counts.plaintextProducts,
    median(candidate.times).toFixed(1),
    Object.keys(candidate.layers[0] ?? {})
      .map((name) => `${name} ${median(candidate.layers.map((layer) => layer[name])).toFixed(1)}`)
      .join(', '),
    `${mb(candidate.roundTrip!.galoisKeyBytes)} (${candidate.compiled.galoisSteps.length})`,
    candidate.maxAbsError.toExponential(1),
    `${(100 * candidate.agreement).toFixed(0)}%`,
    candidate.compileMs.toFixed(0),
  ]
  candidate.roundTrip!.delete()
  return `| ${row.join(' | ')} |`
})
const fmt = (load: number[]) => load.map((v) => v.toFixed(2)).join(', ')
const markdown = [
  `# Convolution packing candidates (${new Date().toISOString()})`,
  '',
  `Machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, node-seal 7. Command: \`nice -n 10 node bench/conv-packing.ts --reps ${reps}\`. ` +
    `Load average (1, 5, 15 min) before the timed reps ${fmt(loadBefore)}, after ${fmt(loadAfter)}. ` +
    'Server time = ciphertext in, ciphertext out, one thread; median of the reps, variants interleaved round-robin. ' +
    'Error and agreement: HE vs onnxruntime on 8 committed Fashion-MNIST test images (test/fixtures/torch/fashion-mnist-sample.json).',
  '',
  '| model | variant | N | log Q | depth | rotations | pt products | server ms (p50) | per layer ms (p50) | Galois keys MB (steps) | max abs error | argmax agreement | compile ms |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ...rows,
  '',
].join('\n')
await mkdir('bench/results', { recursive: true })
await writeFile('bench/results/conv-packing.md', markdown)
process.stdout.write(markdown)
