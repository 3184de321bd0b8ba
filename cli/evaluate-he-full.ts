/**
 * HE accuracy of a trained model folder on its FULL test split (real encryption, one query per
 * image, service/models/compare-he.ts), written into card.json / card.md. For runs whose
 * `privinfer train --he-limit` evaluated only part of the split (Fashion-MNIST: 10,000 queries).
 *
 * --recompile first compiles the ONNX file again with the current compiler's default options,
 * calibrated on the first 100 test images (held out, never training records, as the train command
 * does), and rewrites compile.json and the card's HE fields: after a change of the compiler's
 * defaults, the card, compile.json and the Galois steps then agree with the plan that is measured.
 *
 *   nice -n 10 node cli/evaluate-he-full.ts --model fashion-mnist-dp [--recompile [--options JSON --why TEXT]]
 */
import { readFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import type { ModelCard } from '../core/card.ts'
import { compileModel } from '../service/compiler/compile.ts'
import { compareHeToPlain, labelAccuracy } from '../service/models/compare-he.ts'
import { withCompiledFields } from '../service/models/he-card.ts'
import {
  encryptionParametersBase64Of,
  loadModelDirectory,
  writeModelDirectory,
} from '../service/models/index.ts'
import type { TrainingCard } from '../training/card/training-card.ts'
import { median } from '../core/math/median.ts'
import { loadSplits } from '../training/data/load.ts'
import { preprocessDataset } from '../training/data/preprocess.ts'
import { writeCard } from '../training/model-folder.ts'
import { createProgress } from './progress.ts'

const CALIBRATION_COUNT = 100

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    'models-dir': { type: 'string', default: 'models' },
    recompile: { type: 'boolean', default: false },
    /** Compile options (JSON) on top of the defaults, with --recompile; e.g. '{"maskOutput":false}'. */
    options: { type: 'string', default: '{}' },
    /** A reason recorded in the card and compile.json for those options. */
    why: { type: 'string' },
  },
})
const folder = join(values['models-dir'] as string, values.model as string)
const cardOnDisk = JSON.parse(readFileSync(join(folder, 'card.json'), 'utf8')) as ModelCard
const test = preprocessDataset(
  loadSplits(cardOnDisk.data?.dataset ?? 'mnist').test,
  cardOnDisk.input.preprocessing,
)
const inputs = Array.from({ length: test.count }, (_, r) =>
  test.inputs.subarray(r * test.inputSize, (r + 1) * test.inputSize),
)
const onnxBytes = new Uint8Array(readFileSync(join(folder, cardOnDisk.onnxFile)))
if (values.recompile) {
  const calibration = inputs.slice(0, Math.min(CALIBRATION_COUNT, inputs.length))
  const options = JSON.parse(values.options as string) as Record<string, unknown>
  const fresh = compileModel(onnxBytes, { ...options, calibration })
  fresh.reasons = [
    ...fresh.reasons,
    ...(values.why === undefined ? [] : [values.why as string]),
    `calibrated on the first ${calibration.length} test images (held out, not training data)`,
  ]
  const base64 = await encryptionParametersBase64Of(fresh.parameters)
  const card = withCompiledFields(cardOnDisk, fresh, base64)
  await writeModelDirectory(folder, { onnxBytes, card, compiled: fresh })
  process.stderr.write(
    `${values.model}: recompiled, N = ${fresh.parameters.polyModulusDegree}, primes ${fresh.parameters.coeffModulusBits.join(',')}, Galois steps ${fresh.galoisSteps.join(', ')}\n`,
  )
}
const { card, compiled } = await loadModelDirectory(folder)
const progress = createProgress('HE evaluation', inputs.length)
const check = await compareHeToPlain(compiled, onnxBytes, inputs, (done, last) =>
  progress.tick(done, { ms: Math.round(last.serverMs) }),
)
progress.finish()
const accuracy = labelAccuracy(check, test.labels)
const updated = card as unknown as TrainingCard
updated.accuracy = {
  ...updated.accuracy!,
  he: accuracy.he,
  heTestExamples: test.count,
  hePlaintextAccuracy: accuracy.plain,
} as TrainingCard['accuracy']
updated.comparison = check.comparison
writeCard(folder, updated)
process.stdout.write(
  JSON.stringify({
    model: values.model,
    he: accuracy.he,
    plaintext: accuracy.plain,
    comparison: check.comparison,
    medianServerMs: median(check.serverMs),
    loadAverage: loadavg().map((load) => Number(load.toFixed(2))),
  }) + '\n',
)
