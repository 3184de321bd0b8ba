/**
 * HE accuracy of a trained model folder on its FULL test split (real encryption, one query per
 * image, service/models/compare-he.ts), written into card.json / card.md. For runs whose
 * `privinfer train --he-limit` evaluated only part of the split (Fashion-MNIST: 10,000 queries).
 *
 *   nice -n 10 node cli/evaluate-he-full.ts --model fashion-mnist-dp
 */
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { compareHeToPlain, labelAccuracy } from '../service/models/compare-he.ts'
import { loadModelDirectory } from '../service/models/index.ts'
import type { TrainingCard } from '../training/card/training-card.ts'
import { loadSplits } from '../training/data/load.ts'
import { preprocessDataset } from '../training/data/preprocess.ts'
import { writeCard } from '../training/model-folder.ts'
import { createProgress } from './progress.ts'

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
  }) + '\n',
)
