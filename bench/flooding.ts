/**
 * `npm run bench:flooding`: what noise flooding (compile option floodNoise, service/compiler/flooding.ts)
 * costs on every bundled model, at λ = 0, 2, 4 and 8 bits, and whether λ = 40 fits at all.
 * Per model and λ: the same pinned parameters compiled with the flood; DIGITS MNIST test digits
 * (spread over the split) each encrypted once, evaluated once, decrypted before and after the flood
 * (the test's secret key), so the flood itself is measured: its time (Enc_pk(0) + NTT-form noise +
 * two additions), the deviation it adds over all slots against the stated one, the largest output
 * error against the stated tolerance, and the argmax agreement with the unflooded result.
 * Results: bench/results/flooding.md and .json.
 *
 * Options (env): FLOODING_DIGITS (default 20).
 */
import { readFile, readdir } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { preprocessInput } from '../client/preprocess.ts'
import { argmax } from '../core/math/argmax.ts'
import { median } from '../core/math/median.ts'
import { contentsOfInputLayout, packByContents } from '../core/layout/slot-contents.ts'
import { isPrivinferError } from '../core/errors.ts'
import { compileModel, type CompiledModel } from '../service/compiler/compile.ts'
import { evaluateLayerModel } from '../service/compiler/evaluate-layer-model.ts'
import { floodCiphertext } from '../service/runtime/seal/flood-noise.ts'
import { createLocalRoundTrip } from '../service/runtime/seal/local-round-trip.ts'
import { runPlan } from '../service/runtime/seal/run-plan.ts'
import { loadMnist } from '../training/data/mnist.ts'
import { loadAverage, machineDescription, writeBenchResult } from './results-file.ts'

const DIGITS = Number(process.env.FLOODING_DIGITS ?? 20)
const LAMBDAS = [0, 2, 4, 8]
const loadAtStart = loadAverage()
const startedAt = new Date().toISOString()
const mnist = loadMnist()
const rows: Array<Record<string, unknown>> = []
const refusals: Array<{ model: string; securityBits: number; reason: string }> = []

const ids = (await readdir('models')).filter((id) => existsSync(join('models', id, 'card.json')))
for (const id of ids.sort()) {
  const card = JSON.parse(await readFile(join('models', id, 'card.json'), 'utf8'))
  if (card.input.rawSize !== 784) continue
  const record = JSON.parse(await readFile(join('models', id, 'compile.json'), 'utf8'))
  const onnx = new Uint8Array(await readFile(join('models', id, card.onnxFile)))
  const inputs = Array.from({ length: DIGITS }, (_, i) => {
    const row = Math.floor((i * mnist.count) / DIGITS)
    return preprocessInput(
      card.input.preprocessing,
      mnist.inputs.subarray(row * 784, (row + 1) * 784),
      card.input.rawSize,
    )
  })
  for (const securityBits of [...LAMBDAS, 40]) {
    let compiled: CompiledModel
    try {
      compiled = compileModel(onnx, {
        ...record.options,
        parameters: record.parameters,
        floodNoise: { securityBits },
      })
    } catch (error) {
      if (!isPrivinferError(error) || error.code !== 'NO_PARAMETERS_FIT') throw error
      refusals.push({ model: id, securityBits, reason: error.message })
      continue
    }
    if (securityBits === 40) continue
    const trip = await createLocalRoundTrip(compiled)
    try {
      const { ctx, clientKeys, loaded, evaluationKeys } = trip
      const flooding = compiled.flooding!
      const planMs: number[] = []
      const floodMs: number[] = []
      const deviations: number[] = []
      let maxError = 0
      let maxCircuitError = 0
      let agree = 0
      for (const x of inputs) {
        const input = clientKeys.encrypt(
          packByContents(contentsOfInputLayout(compiled.inputLayout), x),
          { level: loaded.inputLevel },
        )
        try {
          const result = runPlan(loaded, evaluationKeys, input)
          try {
            planMs.push(result.totalMs)
            const before = clientKeys.decrypt(result.output)
            const started = performance.now()
            floodCiphertext(ctx, result.output, evaluationKeys.publicKey!, flooding.floodBits)
            floodMs.push(performance.now() - started)
            const after = clientKeys.decrypt(result.output)
            const expected = evaluateLayerModel(compiled.layerModel, x)
            const { offset } = compiled.outputLayout
            for (let j = 0; j < expected.length; j++) {
              maxError = Math.max(maxError, Math.abs(after[offset + j] - expected[j]))
              maxCircuitError = Math.max(
                maxCircuitError,
                Math.abs(before[offset + j] - expected[j]),
              )
            }
            if (argmax(after, offset, expected.length) === argmax(before, offset, expected.length))
              agree++
            let squares = 0
            for (let s = 0; s < after.length; s++) squares += (after[s] - before[s]) ** 2
            deviations.push(Math.sqrt(squares / after.length))
          } finally {
            result.output.delete()
          }
        } finally {
          input.delete()
        }
      }
      rows.push({
        model: id,
        securityBits,
        floodBits: flooding.floodBits,
        noiseBoundBits: flooding.noiseBoundBits,
        statisticalDistanceLog2: flooding.statisticalDistanceLog2,
        planMs: median(planMs),
        floodMs: median(floodMs),
        publicKeyKb: trip.publicKeyBytes / 1e3,
        statedDeviation: flooding.floodDeviation,
        measuredDeviation: median(deviations),
        circuitTolerance: flooding.circuitTolerance,
        maxCircuitError,
        outputTolerance: flooding.outputTolerance,
        maxError,
        argmaxAgreement: agree / inputs.length,
        headroomBits: flooding.headroomBits,
        extraModulusBitsForSamePrecision: flooding.extraModulusBitsForSamePrecision,
      })
      process.stderr.write(
        `${id} λ=${securityBits}: flood ${median(floodMs).toFixed(1)} ms, deviation ${median(deviations).toExponential(2)} (stated ${flooding.floodDeviation.toExponential(2)}), argmax ${agree}/${inputs.length}\n`,
      )
    } finally {
      trip.delete()
    }
  }
}

const g = (value: unknown, digits = 3) => Number(value).toPrecision(digits)
const table = rows
  .map(
    (r) =>
      `| ${r.model} | ${r.securityBits} | ${r.floodBits} | ${g(r.noiseBoundBits)} | ${r.statisticalDistanceLog2} | ${g(r.planMs)} | ${g(r.floodMs)} | ${g(r.publicKeyKb)} | ${g(r.statedDeviation)} | ${g(r.measuredDeviation)} | ${g(r.maxCircuitError)} / ${g(r.circuitTolerance)} | ${g(r.maxError)} / ${g(r.outputTolerance)} | ${g(r.argmaxAgreement)} | ${g(r.headroomBits)} | ${r.extraModulusBitsForSamePrecision} |`,
  )
  .join('\n')
const refused = refusals.map((r) => `- ${r.model}, λ = ${r.securityBits}: ${r.reason}`).join('\n')
const markdown = `# Noise flooding: what it costs

Command: \`npm run bench:flooding\` (bench/flooding.ts) on ${startedAt.slice(0, 10)}; ${machineDescription()};
load average (1, 5, 15 min) ${loadAtStart} at the start, ${loadAverage()} at the end (shared machine: the times are
indicative). ${DIGITS} MNIST test digits per model and λ, each encrypted once, evaluated once and decrypted before
and after the flood with the test's secret key; medians over the digits.

The flood (service/runtime/seal/flood-noise.ts) is Enc_pk(0) under the client's public key plus a polynomial uniform
in [-2^k, 2^k) per coefficient, 2^k >= 2^λ·B_c, written in SEAL's NTT form (BigInt NTT of the output level's primes).
Statistical distance per result <= N·2^-(λ+1) (column "log2 SD"; >= 0 means no per-result guarantee, only
per-coefficient). "deviation" is the flood's standard deviation per slot (value units), stated
(2^k·sqrt(N/6)/Δ) and measured over all N/2 slots; errors are max |HE - float64| over the outputs, against the
tolerance (6 standard deviations) without and with the flood. The unflooded plan time is the same plan without the
flood, for scale.

| model | λ | k | log2 B_c | log2 SD | plan ms | flood ms | public key KB | deviation stated | measured | circuit error / tolerance | flooded error / tolerance | argmax kept | headroom bits | extra modulus bits for the same precision |
| ----- | - | - | -------- | ------- | ------- | -------- | ------------- | ---------------- | -------- | ------------------------- | ------------------------- | ----------- | ------------- | ----------------------------------------- |
${table}

Refused at compile time (the output level cannot hold the flood; λ = 40 is the usual statistical security
parameter):

${refused}
`
await writeBenchResult('flooding', markdown, {
  date: startedAt,
  command: 'npm run bench:flooding',
  loadAverageStart: loadAtStart,
  loadAverageEnd: loadAverage(),
  digits: DIGITS,
  rows,
  refusals,
})
