/**
 * privinfer predict --server URL --model ID (--image file.png | --input file.json) [--token T] [--json]
 *
 * Encrypted prediction through a running service: keys are made here (secret key stays in this
 * process), the evaluation keys are uploaded, each input is encrypted, sent, and the result decrypted
 * here; the remote keys are deleted at the end.
 * --image: a PNG, converted to 28x28 intensities in [0, 1] (client/node/png-image.ts: luminance,
 *   inverted when the background is light, area-averaged resize).
 * --input: a JSON array of card.input.rawSize numbers, or an array of such arrays; or a CSV file
 *   (*.csv, one input per row, comma-separated numbers; a first row that is not numeric is a header).
 * Many inputs go through session.inferBatch: packed into the model's batch queries when it has a
 * batch plan (card.maxBatch per query), pipelined, with progress and throughput on stderr.
 */
import { readFile } from 'node:fs/promises'
import type { Command } from './index.ts'
import { emit, parseCommandArgs, requireString } from '../args.ts'
import { privacyLabel } from '../../core/card.ts'
import { PrivinferError } from '../../core/errors.ts'
import { PrivinferClient, type Prediction } from '../../client/index.ts'
import { pngToInput } from '../../client/node/png-image.ts'
import { fitInputsToCard } from '../input-check.ts'
import { createProgress } from '../progress.ts'

export const command: Command = {
  name: 'predict',
  summary: 'encrypted prediction through a running service',
  usage: [
    'usage: privinfer predict --server URL --model ID (--image file.png | --input file.json) [--token T] [--json]',
    '',
    '--image   PNG of a digit: grayscale, inverted if the background is light, resized to 28x28 by area averaging',
    "--input   JSON: one input vector (card.input.rawSize numbers in the card's input range) or an array of vectors;",
    '          or CSV (file.csv: one input per row, an optional header row); many inputs are packed into the',
    "          model's batch queries (card.maxBatch inputs each); 0-255 pixels for a [0, 1] model are scaled by 1/255",
    '--token   bearer token when the service sets AUTH_TOKEN (default: $PRIVINFER_TOKEN)',
  ].join('\n'),
  async run(argv) {
    const values: Record<string, string | boolean | undefined> = parseCommandArgs(argv, {
      server: { type: 'string' },
      model: { type: 'string' },
      image: { type: 'string' },
      input: { type: 'string' },
      token: { type: 'string' },
    }).values
    const server = requireString(values, 'server')
    const modelId = requireString(values, 'model')
    const inputs = await readInputs(
      values.image as string | undefined,
      values.input as string | undefined,
    )
    const client = await PrivinferClient.create({
      baseUrl: server,
      token: (values.token as string | undefined) ?? process.env.PRIVINFER_TOKEN,
    })
    // The card first: a wrong input fails here, before any key is made or uploaded.
    const card = await client.getModel(modelId)
    const fitted = fitInputsToCard(inputs, card, {
      source: values.image !== undefined ? '--image' : '--input',
    })
    const session = await client.openSession(modelId)
    const predictions: Array<Prediction & { ms: number }> = []
    const started = performance.now()
    let queries = 0
    try {
      if (fitted.length === 1) {
        const prediction = await session.infer(fitted[0])
        predictions.push({ ...prediction, ms: Math.round(performance.now() - started) })
        queries = 1
      } else {
        const progress = createProgress('predict', fitted.length)
        const batched = await session.inferBatch(fitted, {
          onProgress: (done) => {
            queries++
            const seconds = (performance.now() - started) / 1000
            progress.tick(done, { 'inputs/s': done / Math.max(seconds, 1e-3) })
          },
        })
        progress.finish()
        const share = Math.round((performance.now() - started) / fitted.length)
        for (const prediction of batched) predictions.push({ ...prediction, ms: share })
      }
    } finally {
      await session.close()
    }
    const seconds = (performance.now() - started) / 1000
    const throughput = {
      inputs: predictions.length,
      queries,
      maxBatch: session.card.maxBatch ?? 1,
      seconds,
      inputsPerSecond: predictions.length / seconds,
    }
    if (fitted.length > 1 && !values.json) {
      process.stderr.write(
        `${throughput.inputs} inputs in ${queries} queries (up to ${throughput.maxBatch} per query), ${seconds.toFixed(1)} s, ${throughput.inputsPerSecond.toFixed(1)} inputs/s\n`,
      )
    }
    const privacy = privacyLabel(session.card)
    emit(Boolean(values.json), { model: modelId, privacy, predictions, throughput }, () =>
      predictions
        .map((p, i) => {
          const top = p.probabilities
            .map((prob, label) => ({ prob, label }))
            .sort((a, b) => b.prob - a.prob)
            .slice(0, 3)
          return `#${i}: label ${p.labelName} (p=${p.probabilities[p.label].toFixed(3)}; top-3 ${top
            .map((t) => `${session.card.labels[t.label] ?? t.label}:${t.prob.toFixed(3)}`)
            .join(' ')}) in ${p.ms} ms  [${privacy}]`
        })
        .join('\n'),
    )
  },
}

async function readInputs(
  image: string | undefined,
  input: string | undefined,
): Promise<number[][]> {
  if ((image === undefined) === (input === undefined)) {
    throw new PrivinferError(
      'FIELD_MISSING',
      'give exactly one of --image file.png or --input file.json',
    )
  }
  if (image !== undefined) return [Array.from(pngToInput(new Uint8Array(await readFile(image))))]
  if (input!.toLowerCase().endsWith('.csv')) return parseCsvInputs(await readFile(input!, 'utf8'))
  let parsed: unknown
  try {
    parsed = JSON.parse(await readFile(input!, 'utf8'))
  } catch (error) {
    throw new PrivinferError(
      'INPUT_INVALID',
      `--input: not a JSON file (${(error as Error).message})`,
    )
  }
  const isVector = (value: unknown): value is number[] =>
    Array.isArray(value) && value.every((v) => typeof v === 'number')
  if (isVector(parsed)) return [parsed]
  if (Array.isArray(parsed) && parsed.length > 0 && parsed.every(isVector)) return parsed
  throw new PrivinferError(
    'INPUT_INVALID',
    '--input must hold an array of numbers or an array of such arrays',
  )
}

/**
 * Rows of a CSV file as input vectors: comma-separated numbers, blank lines skipped, a first row
 * that does not parse as numbers taken as a header.
 * @throws PrivinferError INPUT_INVALID naming the first bad row.
 */
export function parseCsvInputs(text: string): number[][] {
  const rows = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .map((line) => line.split(',').map((cell) => cell.trim()))
  const numeric = (row: string[]) =>
    row.every((cell) => cell !== '' && Number.isFinite(Number(cell)))
  const body = rows.length > 0 && !numeric(rows[0]) ? rows.slice(1) : rows
  if (body.length === 0)
    throw new PrivinferError('INPUT_INVALID', '--input: the CSV file has no rows')
  return body.map((row, index) => {
    if (!numeric(row)) {
      throw new PrivinferError(
        'INPUT_INVALID',
        `--input: CSV row ${index + 1} is not all numbers`,
        {
          row: index + 1,
        },
      )
    }
    return row.map(Number)
  })
}
