/**
 * privinfer predict --server URL --model ID (--image file.png | --input file.json) [--token T] [--json]
 *
 * Encrypted prediction through a running service: keys are made here (secret key stays in this
 * process), the evaluation keys are uploaded, each input is encrypted, sent, and the result decrypted
 * here; the remote keys are deleted at the end.
 * --image: a PNG, converted to 28x28 intensities in [0, 1] (client/node/png-image.ts: luminance,
 *   inverted when the background is light, area-averaged resize).
 * --input: a JSON array of card.input.rawSize numbers, or an array of such arrays.
 */
import { readFile } from 'node:fs/promises'
import type { Command } from './index.ts'
import { emit, parseCommandArgs, requireString } from '../args.ts'
import { PrivinferError } from '../../core/errors.ts'
import { PrivinferClient, type Prediction } from '../../client/index.ts'
import { pngToInput } from '../../client/node/png-image.ts'
import { fitInputsToCard } from '../input-check.ts'

export const command: Command = {
  name: 'predict',
  summary: 'encrypted prediction through a running service',
  usage: [
    'usage: privinfer predict --server URL --model ID (--image file.png | --input file.json) [--token T] [--json]',
    '',
    '--image   PNG of a digit: grayscale, inverted if the background is light, resized to 28x28 by area averaging',
    "--input   JSON: one input vector (card.input.rawSize numbers in the card's input range) or an array of vectors;",
    '          0-255 pixels for a [0, 1] model are scaled by 1/255 (with a note on stderr)',
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
    try {
      for (const input of fitted) {
        const started = performance.now()
        const prediction = await session.infer(input)
        predictions.push({ ...prediction, ms: Math.round(performance.now() - started) })
      }
    } finally {
      await session.close()
    }
    emit(Boolean(values.json), { model: modelId, predictions }, () =>
      predictions
        .map((p, i) => {
          const top = p.probabilities
            .map((prob, label) => ({ prob, label }))
            .sort((a, b) => b.prob - a.prob)
            .slice(0, 3)
          return `#${i}: label ${p.labelName} (p=${p.probabilities[p.label].toFixed(3)}; top-3 ${top
            .map((t) => `${session.card.labels[t.label] ?? t.label}:${t.prob.toFixed(3)}`)
            .join(' ')}) in ${p.ms} ms`
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
