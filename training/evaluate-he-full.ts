/**
 * HE accuracy of a trained model folder on its FULL test split (real encryption, one query per
 * image, service/models/compare-he.ts), written into card.json / card.md. For runs whose
 * `privinfer train --he-limit` evaluated only part of the split (Fashion-MNIST: 10,000 queries).
 *
 *   nice -n 10 node training/evaluate-he-full.ts --model fashion-mnist-dp
 */
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createProgress } from '../cli/progress.ts'
import { argmax } from '../core/math/argmax.ts'
import { compareHeToPlain } from '../service/models/compare-he.ts'
import { loadModelDirectory } from '../service/models/index.ts'
import type { TrainingCard } from './card/training-card.ts'
import { loadSplits } from './data/load.ts'
import { preprocessDataset } from './data/preprocess.ts'
import { writeCard } from './model-folder.ts'

const { values } = parseArgs({
  options: { model: { type: 'string' }, 'models-dir': { type: 'string', default: 'models' } },
})
const folder = join(values['models-dir'] as string, values.model as string)
const { card, compiled } = await loadModelDirectory(folder)
const test = preprocessDataset(
  loadSplits(card.data?.dataset ?? 'mnist').test,
  card.input.preprocessing,
)
const inputs = Array.from({ length: test.count }, (_, r) =>
  test.inputs.subarray(r * test.inputSize, (r + 1) * test.inputSize),
)
const onnxBytes = (await import('node:fs')).readFileSync(join(folder, card.onnxFile))
const progress = createProgress('HE evaluation', inputs.length)
const check = await compareHeToPlain(compiled, new Uint8Array(onnxBytes), inputs, (done, last) =>
  progress.tick(done, { ms: Math.round(last.serverMs) }),
)
progress.finish()
let heCorrect = 0
let plainCorrect = 0
check.heOutputs.forEach((output, r) => {
  if (argmax(output) === test.labels[r]) heCorrect++
  if (argmax(check.plainOutputs[r]) === test.labels[r]) plainCorrect++
})
const updated = card as unknown as TrainingCard
updated.accuracy = {
  ...updated.accuracy!,
  he: heCorrect / test.count,
  heTestExamples: test.count,
  hePlaintextAccuracy: plainCorrect / test.count,
} as TrainingCard['accuracy']
updated.comparison = check.comparison
writeCard(folder, updated)
process.stdout.write(
  JSON.stringify({
    model: values.model,
    he: heCorrect / test.count,
    plaintext: plainCorrect / test.count,
    comparison: check.comparison,
  }) + '\n',
)
