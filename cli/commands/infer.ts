/**
 * privinfer infer --model <id> --input inputs.json [--models-dir dir] [--json]
 * The full encrypted round trip on this machine for each input vector: client keys with the card's
 * Galois steps only, encrypt, compiled plan, decrypt. --json prints {outputs: number[][]}: the ONNX
 * model's own outputs, i.e. the decrypted plan outputs after the card's post-processing (a trailing
 * Softmax / LogSoftmax / Sigmoid; card.output.postprocessing), and `logits` (the plan's outputs)
 * when the card names one.
 */
import { applyPostprocessing, decisionOf } from '../../core/postprocessing.ts'
import { createLocalRoundTrip } from '../../service/runtime/seal/local-round-trip.ts'
import { emit, parseCommandArgs, requireString } from '../args.ts'
import { readInputVectors } from './import.ts'
import { loadModelOption } from './model-folder.ts'
import type { Command } from './index.ts'
import { fitInputsToCard } from '../input-check.ts'

export const command: Command = {
  name: 'infer',
  summary: 'encrypted round trip on this machine (keys, encrypt, plan, decrypt)',
  usage:
    "usage: privinfer infer --model <id> --input inputs.json [--models-dir models] [--json]\n  inputs.json: a JSON array of input vectors (after the card's preprocessing)",
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
    const serverMs: number[] = []
    try {
      for (const x of inputs) {
        const result = roundTrip.query(x)
        logits.push(Array.from(result.outputs))
        outputs.push(Array.from(applyPostprocessing(post, result.outputs)))
        serverMs.push(result.serverMs)
      }
    } finally {
      roundTrip.delete()
    }
    emit(Boolean(values.json), { outputs, ...(post ? { postprocessing: post, logits } : {}) }, () =>
      outputs
        .map((row, index) => {
          const best = decisionOf(row, post)
          return `#${index}: ${card.labels[best] ?? best}  [${row.map((v) => v.toFixed(4)).join(', ')}]  (server ${serverMs[index].toFixed(0)} ms)`
        })
        .join('\n'),
    )
  },
}
