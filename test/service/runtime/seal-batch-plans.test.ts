/**
 * Batch plans under real encryption (node-seal, N = 8192, 128-bit): K inputs per query, a partial
 * batch among them, decrypted to one output per input that matches float64 and onnxruntime within
 * the plan's tolerance; the exact RNS linear map gives the same ciphertexts, bit for bit, as one
 * constant plaintext + multiply_plain + add per weight.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { compileModel, type CompiledModel } from '../../../service/compiler/compile.ts'
import { measureRanges } from '../../../service/compiler/measure-ranges.ts'
import { toleranceFor } from '../../../service/compiler/tolerance.ts'
import { featureToleranceFor } from '../../../service/compiler/batch/feature-tolerance.ts'
import { evaluateLayerModel } from '../../../service/compiler/evaluate-layer-model.ts'
import { createPlainModel } from '../../../service/plain/onnx-runtime.ts'
import {
  createLocalRoundTrip,
  type LocalRoundTrip,
} from '../../../service/runtime/seal/local-round-trip.ts'
import { loadBatchPlan, runBatchPlan } from '../../../service/runtime/seal/run-batch-plan.ts'
import { encryptBatch } from '../../../core/he/encrypt-batch.ts'
import { loadCiphertext } from '../../../core/wire/ciphertext.ts'
import { buildMlpOnnx, randomInputs } from '../../support/onnx-fixtures.ts'

const onnx = buildMlpOnnx({
  sizes: [64, 32, 10],
  activation: 'poly',
  coefficients: [0.1, 0.5, 0.25],
  seed: 17,
})
const calibration = randomInputs(16, 64, 3, 0, 1)

describe.each([
  ['lanes', 8, 5],
  ['features', 4096, 7],
] as const)('%s batch plan under encryption', (packing, batch, count) => {
  let compiled: CompiledModel
  let roundTrip: LocalRoundTrip
  let expected: Float64Array[]
  const inputs = randomInputs(count, 64, 11, 0, 1)
  beforeAll(async () => {
    compiled = compileModel(onnx, { calibration, batch, packing })
    roundTrip = await createLocalRoundTrip(compiled)
    const plain = await createPlainModel(onnx)
    expected = await plain.run(inputs)
    await plain.close()
  })
  afterAll(() => roundTrip?.delete())

  it(`returns one output per input of a partial batch (${count} inputs), within the tolerance of float64 and onnxruntime`, () => {
    expect(roundTrip.batch?.packing).toBe(packing)
    expect(roundTrip.batch?.maxBatch).toBe(batch)
    const batchPlan = compiled.batch
    if (batchPlan === undefined) throw new Error('no batch plan')
    const tolerance =
      batchPlan.packing === 'lanes'
        ? toleranceFor(
            compiled.parameters,
            batchPlan.plan,
            measureRanges(batchPlan.plan, inputs),
            roundTrip.ctx.primes,
          )
        : featureToleranceFor(compiled.parameters, batchPlan.plan, inputs, roundTrip.ctx.primes)
    const { outputs } = roundTrip.queryBatch(inputs)
    expect(outputs).toHaveLength(count)
    outputs.forEach((output, k) => {
      const dense = evaluateLayerModel(compiled.layerModel, inputs[k])
      for (let j = 0; j < dense.length; j++) {
        expect(Math.abs(output[j] - dense[j])).toBeLessThan(tolerance)
        // onnxruntime computes in float32: ~1e-7 relative per operation.
        expect(Math.abs(output[j] - expected[k][j])).toBeLessThan(tolerance + 1e-4)
      }
    })
  })
})

describe('the RNS linear map', () => {
  it('gives the same result ciphertexts, bit for bit, as constant plaintexts', async () => {
    const compiled = compileModel(onnx, { calibration, batch: 4096, packing: 'features' })
    const roundTrip = await createLocalRoundTrip(compiled)
    const { ctx, clientKeys, evaluationKeys } = roundTrip
    const loaded = loadBatchPlan(ctx, compiled)
    if (loaded === undefined || roundTrip.batch === undefined) throw new Error('no batch plan')
    const inputs = encryptBatch(ctx, clientKeys, roundTrip.batch, randomInputs(3, 64, 5, 0, 1)).map(
      (bytes) => loadCiphertext(ctx, bytes, { level: loaded.inputLevel }),
    )
    try {
      const results = (['rns', 'constants'] as const).map((linearMap) => {
        const result = runBatchPlan(ctx, loaded, evaluationKeys, inputs, { linearMap })
        expect(result.leaked).toBe(0)
        const bytes = result.outputs.map((output) =>
          Array.from(output.saveToArray(ctx.seal.ComprModeType.none) as Uint8Array),
        )
        for (const output of result.outputs) output.delete()
        return bytes
      })
      expect(results[0]).toHaveLength(10)
      expect(results[0]).toEqual(results[1])
    } finally {
      for (const input of inputs) input.delete()
      loaded.delete()
      roundTrip.delete()
    }
  })
})
