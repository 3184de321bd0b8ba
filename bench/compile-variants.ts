/**
 * Compiler options side by side on one model: for each named variant (CompileOptions as JSON), the
 * max |HE − float64 plan| on the model's outputs for one input, the chain, the Galois steps, key and
 * ciphertext sizes, and median server and per-layer times, queries interleaved round-robin so that
 * load from other processes hits every variant alike. The scale choices of select-parameters.ts and
 * the rescaleGroups default of lower.ts cite these runs.
 * Writes bench/results/compile-variants.md and .json.
 *
 * Usage: node bench/compile-variants.ts [--model models/mnist-mlp] [--reps 12]
 *          [--variants '{"default":{},"rescale-end":{"rescaleGroups":false}}']
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { median } from '../core/math/median.ts'
import { compileModel, type CompileOptions } from '../service/compiler/compile.ts'
import { evaluatePlanSlots, readOutput } from '../service/compiler/measure-ranges.ts'
import { loadModelDirectory } from '../service/models/index.ts'
import { createLocalRoundTrip } from '../service/runtime/seal/local-round-trip.ts'
import { loadAverage, machineDescription, writeBenchResult } from './results-file.ts'

const DEFAULT_VARIANTS: Record<string, CompileOptions> = {
  default: {},
  'rescale-end': { rescaleGroups: false },
  'two-level': { lazyOutput: false },
}

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'models/mnist-mlp' },
    reps: { type: 'string', default: '12' },
    variants: { type: 'string' },
  },
})
const reps = Number(values.reps)
const variantOptions = values.variants
  ? (JSON.parse(values.variants) as Record<string, CompileOptions>)
  : DEFAULT_VARIANTS
const { card } = await loadModelDirectory(values.model)
const onnx = new Uint8Array(await readFile(join(values.model, card.onnxFile)))

const variants = []
for (const [name, options] of Object.entries(variantOptions)) {
  const compiled = compileModel(onnx, options)
  const roundTrip = await createLocalRoundTrip(compiled)
  variants.push({
    name,
    options,
    compiled,
    roundTrip,
    times: [] as number[],
    layers: [] as Record<string, number>[],
  })
}
const size = card.input.size
const input = Float64Array.from({ length: size }, (_, i) => ((i * 37) % 101) / 101)
const firstQuery = new Map<
  string,
  { maxAbsError: number; inputBytes: number; outputBytes: number }
>()
for (let rep = 0; rep <= reps; rep++) {
  for (const variant of variants) {
    const result = variant.roundTrip.query(input)
    if (rep === 0) {
      const reference = readOutput(
        variant.compiled.plan,
        evaluatePlanSlots(variant.compiled.plan, input),
      )
      const maxAbsError = Math.max(
        ...result.outputs.map((value, i) => Math.abs(value - reference[i])),
      )
      firstQuery.set(variant.name, {
        maxAbsError,
        inputBytes: result.inputBytes,
        outputBytes: result.outputBytes,
      })
      continue
    }
    variant.times.push(result.serverMs)
    variant.layers.push(result.layerMs)
  }
  process.stderr.write(`\rcompile-variants rep ${rep}/${reps}`)
}
process.stderr.write('\n')

const rows = variants.map((variant) => {
  const layerMs: Record<string, number> = {}
  for (const layer of Object.keys(variant.layers[0] ?? {}))
    layerMs[layer] = median(variant.layers.map((times) => times[layer]))
  const row = {
    variant: variant.name,
    options: variant.options,
    coeffModulusBits: variant.compiled.parameters.coeffModulusBits,
    scaleBits: variant.compiled.parameters.scaleBits,
    weightScaleBits: variant.compiled.parameters.weightScaleBits,
    outputScaleBits: variant.compiled.parameters.outputScaleBits,
    galoisSteps: variant.compiled.galoisSteps,
    rotations: variant.compiled.opCounts.rotations,
    ...firstQuery.get(variant.name)!,
    galoisKeyBytes: variant.roundTrip.galoisKeyBytes,
    relinKeyBytes: variant.roundTrip.relinKeyBytes,
    serverMs: median(variant.times),
    layerMs,
  }
  variant.roundTrip.delete()
  return row
})

const machine = machineDescription()
const date = new Date().toISOString()
const markdown = [
  `# Compiler variants on ${card.id} (${date})`,
  '',
  `Machine: ${machine}; load average ${loadAverage()} at the end. Command: \`npm run bench:variants -- --model ${values.model} --reps ${reps}${values.variants ? ` --variants '${values.variants}'` : ''}\`. Max error: HE vs the float64 plan on one input; times: medians of ${reps} interleaved queries after a warm-up.`,
  '',
  '| variant | options | log Q (bits) | scale bits (s / w / out) | rotations | max abs error | server ms (p50) | per layer ms | Galois keys MB (steps) | relin MB | input KB | output KB |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ...rows.map(
    (row) =>
      `| ${row.variant} | \`${JSON.stringify(row.options)}\` | ${row.coeffModulusBits.join('+')} | ${row.scaleBits} / ${row.weightScaleBits} / ${row.outputScaleBits} | ${row.rotations} | ${row.maxAbsError.toExponential(2)} | ${row.serverMs.toFixed(1)} | ${Object.entries(
        row.layerMs,
      )
        .map(([name, ms]) => `${name} ${ms.toFixed(1)}`)
        .join(
          ', ',
        )} | ${(row.galoisKeyBytes / 1e6).toFixed(2)} (${row.galoisSteps.length}) | ${(row.relinKeyBytes / 1e6).toFixed(2)} | ${(row.inputBytes / 1024).toFixed(1)} | ${(row.outputBytes / 1024).toFixed(1)} |`,
  ),
  '',
].join('\n')
await writeBenchResult('compile-variants', markdown, { date, machine, model: card.id, reps, rows })
