/**
 * `npm run bench:masking`: the cost of output masking (service/compiler/lower.ts `maskOutput`) on
 * every bundled model: the same pinned parameters lowered with and without the mask, each timed on
 * one encrypted query repeated REPS times, the two variants interleaved (round robin) so that the
 * machine's other load hits both alike. Medians of the server time (ciphertext in, ciphertext out),
 * rotations, plaintext products, Galois keys as sent. Masking costs no level by construction
 * (the parameters are the same); the table shows what it costs instead.
 * Results: bench/results/masking.md and .json.
 *
 * Options (env): MASKING_REPS (default 15).
 */
import { readFile, readdir } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { median } from '../core/math/median.ts'
import { compileModel, defaultCalibration } from '../service/compiler/compile.ts'
import { createLocalRoundTrip } from '../service/runtime/seal/local-round-trip.ts'
import { loadAverage, machineDescription, writeBenchResult } from './results-file.ts'

const REPS = Number(process.env.MASKING_REPS ?? 15)
const loadAtStart = loadAverage()
const startedAt = new Date().toISOString()

const ids = (await readdir('models')).filter((id) => existsSync(join('models', id, 'card.json')))
const rows: Array<Record<string, unknown>> = []
for (const id of ids.sort()) {
  const card = JSON.parse(await readFile(join('models', id, 'card.json'), 'utf8'))
  const record = JSON.parse(await readFile(join('models', id, 'compile.json'), 'utf8'))
  const onnx = new Uint8Array(await readFile(join('models', id, card.onnxFile)))
  const variants = [false, true].map((maskOutput) =>
    compileModel(onnx, { ...record.options, parameters: record.parameters, maskOutput }),
  )
  const trips = await Promise.all(variants.map((compiled) => createLocalRoundTrip(compiled)))
  try {
    const [input] = defaultCalibration(variants[0].layerModel.inputSize, 1, 7)
    for (const trip of trips) trip.query(input) // warm-up
    const times: number[][] = [[], []]
    for (let rep = 0; rep < REPS; rep++)
      trips.forEach((trip, v) => times[v].push(trip.query(input).serverMs))
    const [plain, masked] = variants.map((compiled, v) => ({
      serverMs: median(times[v]),
      rotations: compiled.opCounts.rotations,
      plaintextProducts: compiled.opCounts.plaintextProducts,
      galoisSteps: compiled.galoisSteps.length,
      galoisKeyMb: trips[v].galoisKeyBytes / 1e6,
      coeffModulusBits: compiled.parameters.coeffModulusBits,
    }))
    rows.push({ model: id, unmasked: plain, masked })
    process.stderr.write(
      `${id}: ${plain.serverMs.toFixed(1)} -> ${masked.serverMs.toFixed(1)} ms\n`,
    )
  } finally {
    for (const trip of trips) trip.delete()
  }
}

const fmt = (value: number, digits = 1) => value.toFixed(digits)
const table = rows
  .map((row) => {
    const u = row.unmasked as Record<string, number>
    const m = row.masked as Record<string, number>
    return `| ${row.model} | ${fmt(u.serverMs)} | ${fmt(m.serverMs)} | ${fmt((100 * (m.serverMs - u.serverMs)) / u.serverMs, 0)} % | ${u.rotations} → ${m.rotations} | ${u.plaintextProducts} → ${m.plaintextProducts} | ${u.galoisSteps} → ${m.galoisSteps} (${fmt(u.galoisKeyMb, 2)} → ${fmt(m.galoisKeyMb, 2)} MB) | 0 |`
  })
  .join('\n')
const markdown = `# Output masking: what it costs

Command: \`npm run bench:masking\` (bench/masking.ts) on ${startedAt.slice(0, 10)}; ${machineDescription()};
load average (1, 5, 15 min) ${loadAtStart} at the start, ${loadAverage()} at the end (shared machine: compare the two
columns of a row, measured interleaved, not rows across runs). Median of ${REPS} queries per variant, server time
only (validated ciphertext in, serialized result out).

Masking lowers the last layer so that every output's whole sum lands in its own slot and every other slot of the
product is zero (no fold), instead of partial sums folded into copy 0 with the other copies left holding partial
sums. Same parameters, so no level and no precision is spent; the price is more diagonals in the last layer
(rotations and plaintext products at level 0) and, as a side effect, fewer Galois keys (no fold steps).

| model | unmasked ms | masked ms | change | rotations | plaintext products | Galois steps (keys as sent) | extra levels |
| ----- | ----------- | --------- | ------ | --------- | ------------------ | --------------------------- | ------------ |
${table}
`
await writeBenchResult('masking', markdown, {
  date: startedAt,
  command: 'npm run bench:masking',
  loadAverageStart: loadAtStart,
  loadAverageEnd: loadAverage(),
  reps: REPS,
  rows,
})
