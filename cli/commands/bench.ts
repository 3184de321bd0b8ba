/**
 * privinfer bench --model <id> [--models-dir dir] [--reps R] [--json]
 * Single-query server time (ciphertext in, ciphertext out; median of R after one warm-up), per-layer
 * medians, and sizes as the client sends them (seed-compressed + zstd).
 */
import { PrivinferError } from '../../core/errors.ts'
import { benchCompiledModel } from '../../service/models/bench-compiled-model.ts'
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
  usage: `usage: privinfer bench --model <id> [--models-dir models] [--reps 10] [--json]
       [--strategy optimized|baseline] [--client-fold] [--fold-radix R] [--lazy-output on|off]
       (the last line recompiles the model with these options)`,
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
    const compiled =
      Object.keys(options).length === 0
        ? model.compiled
        : compileModel(
            new Uint8Array(await readFile(join(model.dir, model.card.onnxFile))),
            options,
          )
    const result = await benchCompiledModel(compiled, reps)
    emit(Boolean(values.json), { model: model.card.id, ...result }, () =>
      [
        `${model.card.id}: server ${result.serverMs.toFixed(1)} ms (median of ${reps}), ${result.opCounts.rotations} rotations`,
        `  per layer: ${Object.entries(result.layerMs)
          .map(([name, ms]) => `${name} ${ms.toFixed(1)} ms`)
          .join(', ')}`,
        `  Galois keys ${(result.galoisKeyBytes / 1e6).toFixed(2)} MB (${result.galoisSteps.length} steps), relin keys ${(result.relinKeyBytes / 1e6).toFixed(2)} MB`,
        `  input ${(result.inputBytes / 1024).toFixed(1)} KB, output ${(result.outputBytes / 1024).toFixed(1)} KB (KB = 1024 bytes)`,
      ].join('\n'),
    )
  },
}
