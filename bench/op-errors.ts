/**
 * Where a plan loses precision: runs one compiled model under node-seal and on the exact float64
 * backend in lockstep, decrypting the running ciphertext after every op (the bench holds the secret
 * key; the service never does), and prints max |HE − exact| over the slots the next op reads, max
 * |exact|, the level and the scale after each op. Writes bench/results/op-errors-<fixture>.md.
 *
 * Usage: nice -n 10 node bench/op-errors.ts --fixture lenet-square [--images 2] [--options '{...}']
 * (--options: CompileOptions JSON, e.g. '{"lazyOutput": false}').
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { compileModel, type CompileOptions } from '../service/compiler/compile.ts'
import { executePlan } from '../service/compiler/plan/execute-plan.ts'
import { createExactBackend } from '../service/compiler/plan/exact-backend.ts'
import { createLocalRoundTrip } from '../service/runtime/seal/local-round-trip.ts'
import { createSealBackend } from '../service/runtime/seal/seal-backend.ts'
import { packInput } from '../core/he/slots.ts'
import { loadAverage, machineDescription, writeBenchResult } from './results-file.ts'

const FIXTURES = 'test/fixtures/torch'
const { values } = parseArgs({
  options: {
    fixture: { type: 'string' },
    images: { type: 'string' },
    options: { type: 'string' },
  },
})
const fixture = values.fixture ?? 'lenet-square'
const options = JSON.parse(values.options ?? '{}') as CompileOptions
const imageCount = Number(values.images ?? 2)
const sample = JSON.parse(readFileSync(join(FIXTURES, 'fashion-mnist-sample.json'), 'utf8')) as {
  pixelsBase64: string
}
const pixels = Buffer.from(sample.pixelsBase64, 'base64')
const images = Array.from({ length: imageCount }, (_, i) =>
  Float64Array.from(pixels.subarray(i * 784, (i + 1) * 784), (b) => b / 255),
)
const calibration = (
  JSON.parse(readFileSync(join(FIXTURES, 'fashion-mnist-calibration.json'), 'utf8')) as number[][]
).slice(0, 32)

const compiled = compileModel(new Uint8Array(readFileSync(join(FIXTURES, `${fixture}.onnx`))), {
  calibration,
  ...options,
})
const roundTrip = await createLocalRoundTrip(compiled)
const { ctx, loaded, clientKeys, evaluationKeys } = roundTrip
const plan = compiled.plan
const worst = plan.ops.map(() => ({ error: 0, magnitude: 0 }))
for (const image of images) {
  const slots = packInput(compiled.inputLayout, image)
  const exactStates: Float64Array[] = []
  executePlan(plan, createExactBackend(plan), slots, {
    onOp: (_timing, current) => exactStates.push(Float64Array.from(current)),
  })
  const input = clientKeys.encrypt(slots, { level: loaded.inputLevel })
  const output = executePlan(plan, createSealBackend(loaded, evaluationKeys), input, {
    onOp: (timing, current) => {
      const decrypted = clientKeys.decrypt(current)
      const exact = exactStates[timing.opIndex]
      const row = worst[timing.opIndex]
      for (let s = 0; s < exact.length; s++) {
        row.error = Math.max(row.error, Math.abs(decrypted[s] - exact[s]))
        row.magnitude = Math.max(row.magnitude, Math.abs(exact[s]))
      }
    },
  })
  output.delete()
  input.delete()
}
const rows = plan.ops.map((op, index) => {
  const level = loaded.schedule.levels[index + 1]
  const scale = Math.log2(loaded.schedule.scales[index + 1])
  const { error, magnitude } = worst[index]
  return `| ${index} | ${op.kind} | ${op.layer} | ${level} | ${scale.toFixed(1)} | ${magnitude.toExponential(2)} | ${error.toExponential(2)} | ${(error / Math.max(magnitude, 1e-300)).toExponential(1)} |`
})
roundTrip.delete()
void ctx
const markdown = [
  `# Error after every op: ${fixture} (${new Date().toISOString()})`,
  '',
  `Machine: ${machineDescription()}; load ${loadAverage()}. Command: \`node bench/op-errors.ts --fixture ${fixture} --images ${imageCount}${values.options ? ` --options '${values.options}'` : ''}\`. ` +
    `Chain ${compiled.parameters.coeffModulusBits.join('+')}, scale 2^${compiled.parameters.scaleBits}, weights 2^${compiled.parameters.weightScaleBits}. ` +
    'Max over all slots and images (slots no later op reads may hold garbage after a fold).',
  '',
  '| op | kind | layer | level after | log2 scale after | max abs exact | max abs error | relative |',
  '|---|---|---|---|---|---|---|---|',
  ...rows,
  '',
].join('\n')
await writeBenchResult(`op-errors-${fixture}`, markdown)
