/**
 * privinfer bench --model <id> [--models-dir dir] [--reps R] [--batch K] [--json]
 * Server time of one query (ciphertext in, ciphertext out; median of R after one warm-up), per-layer
 * medians, and sizes as the client sends them (seed-compressed + zstd). With --batch K: one query of
 * K inputs on the model's batch plan (compiled with --batch K when the folder has none or another),
 * msPerInput = serverMs / K.
 */
import { PrivinferError } from '../../core/errors.ts'
import { benchBatchQueries } from '../../service/models/bench-compiled-model.ts'
import { compileModel } from '../../service/compiler/compile.ts'
import { emit, numberOption, parseCommandArgs } from '../args.ts'
import { COMPILE_FLAGS, compileOptionsOf } from './import.ts'
import { loadModelOption } from './model-folder.ts'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Command } from './index.ts'

export const command: Command = {
  name: 'bench',
  summary: 'server time, per-layer times, key and ciphertext sizes',
  usage: `usage: privinfer bench --model <id> [--models-dir models] [--reps 10] [--batch K] [--json]
       [--strategy optimized|baseline] [--client-fold] [--fold-radix R] [--lazy-output on|off]
       [--packing lanes|features]
       (the compile flags recompile the model with these options; --batch K times one query of K
       inputs on the batch plan, recompiled for K unless the model's batch plan already holds K)`,
  async run(argv) {
    const parsed = parseCommandArgs(argv, {
      model: { type: 'string' },
      'models-dir': { type: 'string' },
      reps: { type: 'string' },
      ...COMPILE_FLAGS,
    })
    const values = parsed.values as Record<string, unknown>
    const reps = numberOption(values, 'reps', 10)
    if (!Number.isInteger(reps) || reps < 1)
      throw new PrivinferError('OPTION_INVALID', '--reps must be a positive integer')
    const model = await loadModelOption(values)
    const options = compileOptionsOf(values)
    const { batch, packing: _packing, ...otherOptions } = options
    const holdsBatch =
      batch !== undefined &&
      model.compiled.batch !== undefined &&
      model.compiled.batch.maxBatch >= batch &&
      (options.packing === undefined || options.packing === model.compiled.batch.packing)
    const compiled =
      Object.keys(otherOptions).length === 0 && (batch === undefined || holdsBatch)
        ? model.compiled
        : compileModel(new Uint8Array(await readFile(join(model.dir, model.card.onnxFile))), {
            ...model.compiled.options,
            ...options,
            parameters: model.compiled.parameters,
          })
    const result = await benchBatchQueries(compiled, batch, reps)
    const {
      serverMs,
      msPerInput,
      inputBytesPerInput,
      outputBytesPerInput,
      galoisKeyBytes,
      relinKeyBytes,
    } = result
    emit(
      Boolean(values.json),
      {
        model: model.card.id,
        serverMs,
        batch: result.batch,
        msPerInput,
        inputBytesPerInput,
        outputBytesPerInput,
        galoisKeyBytes,
        relinKeyBytes,
        inputBytes: result.inputBytes,
        outputBytes: result.outputBytes,
        packing: result.packing,
        maxBatch: result.maxBatch,
        serverMsAll: result.serverMsAll,
        encryptMs: result.encryptMs,
        decryptMs: result.decryptMs,
        layerMs: result.layerMs,
        galoisSteps: compiled.galoisSteps,
        polyModulusDegree: compiled.parameters.polyModulusDegree,
        coeffModulusBits: compiled.parameters.coeffModulusBits,
        depth: compiled.depth,
        opCounts: result.opCounts,
      },
      () =>
        [
          `${model.card.id}: server ${serverMs.toFixed(1)} ms per query of ${result.batch} input(s) (${result.packing}, median of ${reps}), ${msPerInput.toFixed(2)} ms per input`,
          `  per layer: ${Object.entries(result.layerMs)
            .map(([name, ms]) => `${name} ${ms.toFixed(1)} ms`)
            .join(', ')}`,
          `  Galois keys ${(galoisKeyBytes / 1e6).toFixed(2)} MB (${compiled.galoisSteps.length} steps), relin keys ${(relinKeyBytes / 1e6).toFixed(2)} MB`,
          `  per input: ${(inputBytesPerInput / 1024).toFixed(1)} KB sent, ${(outputBytesPerInput / 1024).toFixed(1)} KB received (KB = 1024 bytes)`,
          ...(result.batch > 1
            ? [
                `  client per query: encrypt ${result.encryptMs.toFixed(0)} ms, decrypt ${result.decryptMs.toFixed(0)} ms`,
              ]
            : []),
        ].join('\n'),
    )
  },
}
