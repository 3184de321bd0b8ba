/**
 * privinfer models [--server URL] [--models-dir models] [--token T] [--json]
 *
 * Lists models with their privacy status ("DP epsilon=3.00, delta=1e-5" or "NON-PRIVATE") and their
 * accuracies (plaintext and under HE, on the full test split). With --server: the models that
 * service serves (GET /v1/models). Without: the model folders of --models-dir, each marked with
 * whether `npm start` serves it by default (a DP guarantee with epsilon <= 3 at delta <= 1e-5) or only
 * with SERVE_NON_PRIVATE_MODELS=true.
 */
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  meetsDefaultPrivacyPolicy,
  privacyLabel,
  summarizeCard,
  type ModelCard,
  type ModelSummary,
} from '../../core/card.ts'
import { PrivinferClient } from '../../client/index.ts'
import { emit, parseCommandArgs } from '../args.ts'
import type { Command } from './index.ts'

export interface ModelListing {
  id: string
  privacy: string
  epsilon: number | null
  delta: number | null
  plaintextAccuracy: number | null
  heAccuracy: number | null
  testExamples: number | null
  title: string
  /** Local listings only: whether `npm start` serves it without SERVE_NON_PRIVATE_MODELS. */
  servedByDefault?: boolean
}

function listingOf(summary: ModelSummary, servedByDefault?: boolean): ModelListing {
  return {
    id: summary.id,
    privacy:
      summary.privacyLabel ??
      privacyLabel({
        nonPrivate: summary.nonPrivate,
        privacy:
          summary.epsilon === null
            ? null
            : ({ epsilon: summary.epsilon, delta: summary.delta ?? Number.NaN } as never),
      }),
    epsilon: summary.epsilon,
    delta: summary.delta ?? null,
    plaintextAccuracy: summary.accuracy?.plaintext ?? null,
    heAccuracy: summary.accuracy?.he ?? null,
    testExamples: summary.accuracy?.testExamples ?? null,
    title: summary.title,
    ...(servedByDefault === undefined ? {} : { servedByDefault }),
  }
}

async function localListings(modelsDir: string): Promise<ModelListing[]> {
  const names = (await readdir(modelsDir).catch(() => [] as string[])).sort()
  const listings: ModelListing[] = []
  for (const name of names) {
    const card = await readFile(join(modelsDir, name, 'card.json'), 'utf8').then(
      (text) => JSON.parse(text) as ModelCard,
      () => undefined,
    )
    if (card === undefined || card.he === undefined) continue
    listings.push(listingOf(summarizeCard(card), meetsDefaultPrivacyPolicy(card)))
  }
  return listings
}

const percent = (value: number | null) =>
  value === null || !Number.isFinite(value) ? '-' : `${(100 * value).toFixed(2)}%`

export const command: Command = {
  name: 'models',
  summary: 'list models with their DP status and accuracies',
  usage: [
    'usage: privinfer models [--server URL] [--models-dir models] [--token T] [--json]',
    '',
    'Each model with its privacy status ("DP epsilon=3.00, delta=1e-5" or "NON-PRIVATE") and its',
    'test accuracy in plaintext and under HE. Without --server: the local model folders, and whether',
    '`npm start` serves each by default (only models with epsilon <= 3 at delta <= 1e-5 are).',
  ].join('\n'),
  async run(argv) {
    const values: Record<string, string | boolean | undefined> = parseCommandArgs(argv, {
      server: { type: 'string' },
      'models-dir': { type: 'string' },
      token: { type: 'string' },
    }).values
    const server = values.server as string | undefined
    let listings: ModelListing[]
    if (server !== undefined) {
      const client = await PrivinferClient.create({
        baseUrl: server,
        token: (values.token as string | undefined) ?? process.env.PRIVINFER_TOKEN,
      })
      listings = (await client.listModels()).map((summary) => listingOf(summary))
    } else {
      listings = await localListings((values['models-dir'] as string | undefined) ?? 'models')
    }
    emit(Boolean(values.json), { server: server ?? null, models: listings }, () => {
      if (listings.length === 0) return 'no models'
      const rows = listings.map((m) => [
        m.id,
        m.privacy,
        percent(m.plaintextAccuracy),
        percent(m.heAccuracy),
        m.testExamples === null ? '-' : String(m.testExamples),
        ...(server === undefined
          ? [m.servedByDefault ? 'yes' : 'no (SERVE_NON_PRIVATE_MODELS=true)']
          : []),
      ])
      const header = [
        'model',
        'privacy',
        'plaintext acc',
        'HE acc',
        'test examples',
        ...(server === undefined ? ['served by default'] : []),
      ]
      const widths = header.map((title, c) =>
        Math.max(title.length, ...rows.map((row) => row[c].length)),
      )
      const line = (cells: string[]) =>
        cells
          .map((cell, c) => cell.padEnd(widths[c]))
          .join('  ')
          .trimEnd()
      return [line(header), ...rows.map(line)].join('\n')
    })
  },
}
