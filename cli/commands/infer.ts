/**
 * privinfer infer --model <id> --input inputs.json [--models-dir dir] [--json]
 * The full encrypted round trip on this machine: client keys with the card's Galois steps only,
 * encrypt, compiled plan, decrypt. On a model with a batch plan the inputs are packed into queries
 * of up to card.maxBatch inputs (the last one partial); otherwise one query per input. --json prints
 * {outputs: number[][], privacy}: exactly one output per input, in input order: the ONNX model's own
 * outputs, i.e. the decrypted plan outputs after the card's post-processing (a trailing Softmax /
 * LogSoftmax / Sigmoid; card.output.postprocessing), and `logits` (the plan's outputs) when the
 * card names one; privacy is the model's status ("DP epsilon=3.00, delta=1e-5" or "NON-PRIVATE"),
 * also printed beside the results.
 */
import { privacyLabel } from '../../core/card.ts'
import { applyPostprocessing, decisionOf } from '../../core/postprocessing.ts'
import { createLocalRoundTrip } from '../../service/runtime/seal/local-round-trip.ts'
import { emit, parseCommandArgs, requireString } from '../args.ts'
import { createProgress } from '../progress.ts'
import { readInputVectors } from './import.ts'
import { loadModelOption } from './model-folder.ts'
import type { Command } from './index.ts'
import { fitInputsToCard } from '../input-check.ts'

export const command: Command = {
  name: 'infer',
  summary: 'encrypted round trip on this machine (keys, encrypt, plan, decrypt)',
  usage:
    "usage: privinfer infer --model <id> --input inputs.json [--models-dir models] [--json]\n  inputs.json: a JSON array of input vectors (after the card's preprocessing); a batch model packs\n  up to card.maxBatch of them per query",
  async run(argv) {
    const parsed = parseCommandArgs(argv, {
      model: { type: 'string' },
      input: { type: 'string' },
      'models-dir': { type: 'string' },
    })
    const values = parsed.values as Record<string, unknown>
    const { card, compiled } = await loadModelOption(values)
    const inputs = fitInputsToCard(
      await readInputVectors(requireString(values, 'input'), compiled.layerModel.inputSize),
      card,
      { source: '--input', preprocessed: true },
    )
    const roundTrip = await createLocalRoundTrip(compiled)
    const post = card.output.postprocessing
    const logits: number[][] = []
    const outputs: number[][] = []
    const queries: Array<{ inputs: number; serverMs: number }> = []
    const progress = createProgress('queries', inputs.length)
    try {
      const batch = roundTrip.batch
      if (batch !== undefined && inputs.length > 1) {
        for (let start = 0; start < inputs.length; start += batch.maxBatch) {
          const chunk = inputs.slice(start, start + batch.maxBatch)
          const result = roundTrip.queryBatch(chunk)
          for (const output of result.outputs) logits.push(Array.from(output))
          queries.push({ inputs: chunk.length, serverMs: result.serverMs })
          progress.tick(logits.length)
        }
      } else {
        for (const x of inputs) {
          const result = roundTrip.query(x)
          logits.push(Array.from(result.outputs))
          queries.push({ inputs: 1, serverMs: result.serverMs })
          progress.tick(logits.length)
        }
      }
    } finally {
      progress.finish()
      roundTrip.delete()
    }
    for (const row of logits) outputs.push(Array.from(applyPostprocessing(post, row)))
    const serverMs = queries.reduce((sum, query) => sum + query.serverMs, 0)
    const privacy = privacyLabel(card)
    emit(
      Boolean(values.json),
      { outputs, privacy, ...(post ? { postprocessing: post, logits } : {}) },
      () =>
        [
          ...outputs.map((row, index) => {
            const best = decisionOf(row, post)
            return `#${index}: ${card.labels[best] ?? best}  [${row.map((v) => v.toFixed(4)).join(', ')}]  [${privacy}]`
          }),
          `${outputs.length} inputs in ${queries.length} queries, server ${serverMs.toFixed(0)} ms in all (${(serverMs / outputs.length).toFixed(1)} ms per input)`,
        ].join('\n'),
    )
  },
}
