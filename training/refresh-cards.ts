/**
 * Post-hoc refresh of the trained models' cards, without retraining:
 * - privacy.epsilonPrv recomputed from (q, sigma, steps, delta) with the PRV accountant (pure
 *   accounting of the same run: no privacy cost);
 * - accuracy.nonPrivateTwin and audit.nonPrivateTwin copied from the twin's card;
 * - card.md re-rendered from card.json.
 *
 *   node training/refresh-cards.ts [--models mnist-dp:mnist-nonprivate,fashion-mnist-dp:fashion-mnist-nonprivate,...]
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import type { TrainingCard } from './card/training-card.ts'
import { describePrivacy } from './dp-sgd/privacy-budget.ts'
import { writeCard } from './model-folder.ts'

const { values } = parseArgs({
  options: {
    models: {
      type: 'string',
      default:
        'mnist-mlp,mnist-nonprivate,fashion-mnist-nonprivate,mnist-dp:mnist-nonprivate,fashion-mnist-dp:fashion-mnist-nonprivate',
    },
    'models-dir': { type: 'string', default: 'models' },
  },
})
const modelsDir = values['models-dir'] as string
const readCard = (id: string): TrainingCard | undefined => {
  const path = join(modelsDir, id, 'card.json')
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as TrainingCard) : undefined
}
for (const entry of (values.models as string).split(',')) {
  const [id, twinId] = entry.split(':')
  const card = readCard(id)
  if (!card) continue
  if (card.privacy) {
    const { sampleRate, steps, delta, noiseMultiplier } = card.privacy
    const described = describePrivacy({ sampleRate, steps, delta, noiseMultiplier })
    card.privacy = { ...card.privacy, epsilonPrv: described.epsilonPrv }
    if (card.privacy.notes)
      card.privacy.notes = card.privacy.notes.map((note) =>
        note.replace(
          ' (not available when this card was written)',
          Number.isNaN(described.epsilonPrv) ? ' (not available when this card was written)' : '',
        ),
      )
  }
  const twin = twinId ? readCard(twinId) : undefined
  if (twin?.accuracy && card.accuracy) {
    card.accuracy = { ...card.accuracy, nonPrivateTwin: twin.accuracy.plaintext }
    const audit = (card.audit ?? {}) as Record<string, unknown>
    card.audit = {
      ...audit,
      nonPrivateTwin: {
        id: twinId,
        attacks: (twin.audit as { attacks?: unknown[] } | undefined)?.attacks ?? [],
      },
    }
  }
  writeCard(join(modelsDir, id), card)
  process.stderr.write(
    `refreshed ${id}${card.privacy ? ` (epsilonPrv ${card.privacy.epsilonPrv})` : ''}${twin ? ` twin ${twinId}` : ''}\n`,
  )
}
