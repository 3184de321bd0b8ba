/**
 * Recomputes the loss-threshold attack of trained models from their saved model.onnx (onnxruntime)
 * and updates card.json / card.md, without retraining: same members (seeded sample of the training
 * split, seed = training seed + 2, as in the pipeline) and the same non-members (the test split).
 *
 *   node training/audit/rerun-loss-attack.ts --models mnist-dp,mnist-nonprivate
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import type { TrainingCard } from '../card/training-card.ts'
import { loadSplits } from '../data/load.ts'
import { preprocessDataset } from '../data/preprocess.ts'
import { writeCard } from '../model-folder.ts'
import { onnxLogits } from '../onnx-check.ts'
import { LOSS_THRESHOLD, lossThresholdFromLogits, sampleMembers } from './loss-threshold.ts'

const { values } = parseArgs({
  options: {
    models: {
      type: 'string',
      default: 'mnist-dp,mnist-nonprivate,fashion-mnist-dp,fashion-mnist-nonprivate',
    },
    'models-dir': { type: 'string', default: 'models' },
  },
})
for (const id of (values.models as string).split(',')) {
  const folder = join(values['models-dir'] as string, id)
  if (!existsSync(join(folder, 'card.json'))) continue
  const card = JSON.parse(readFileSync(join(folder, 'card.json'), 'utf8')) as TrainingCard
  const training = card.training as { seed: number }
  const splits = loadSplits(card.data?.dataset ?? 'mnist')
  const train = preprocessDataset(splits.train, card.input.preprocessing)
  const test = preprocessDataset(splits.test, card.input.preprocessing)
  const members = sampleMembers(train, test.count, training.seed + 2)
  const onnxBytes = new Uint8Array(readFileSync(join(folder, card.onnxFile)))
  const classes = card.output.size
  const result = lossThresholdFromLogits(
    await onnxLogits(onnxBytes, members, classes),
    members.labels,
    await onnxLogits(onnxBytes, test, classes),
    test.labels,
    classes,
  )
  const audit = (card.audit ?? {}) as { attacks?: Array<{ attack: string }> }
  const others = (audit.attacks ?? []).filter(
    (attack) => !attack.attack.startsWith('loss-threshold'),
  )
  card.audit = { ...audit, attacks: [result, ...others] }
  writeCard(folder, card)
  process.stderr.write(
    `${id}: ${LOSS_THRESHOLD}: AUC ${result.auc.toFixed(4)}, TPR@1% ${result.tprAt1PercentFpr}, TPR@0.1% ${result.tprAt01PercentFpr}\n`,
  )
}
