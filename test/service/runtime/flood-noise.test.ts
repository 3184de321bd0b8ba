/**
 * Noise flooding (service/compiler/flooding.ts, service/runtime/seal/flood-noise.ts) on a bundled
 * model in real SEAL: a few MNIST test digits, each encrypted once and evaluated once; the result is
 * decrypted before and after flooding (the client's secret key, as a test may), so the flood itself
 * is measured: its deviation against the stated one, the flooded error against the stated precision
 * cost, and the argmax against the unflooded one. λ = 2 bits: what the bundled models' parameters
 * afford with the argmax intact (bench/results/flooding.md has the sweep).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { preprocessInput } from '../../../client/preprocess.ts'
import { argmax } from '../../../core/math/argmax.ts'
import { contentsOfInputLayout, packByContents } from '../../../core/layout/slot-contents.ts'
import { loadPublicKey } from '../../../core/wire/keys.ts'
import type { PublicKey } from '../../../core/seal/load.ts'
import { saveCiphertext } from '../../../core/wire/ciphertext.ts'
import { compileModel, type CompiledModel } from '../../../service/compiler/compile.ts'
import { evaluateLayerModel } from '../../../service/compiler/evaluate-layer-model.ts'
import { measureRanges } from '../../../service/compiler/measure-ranges.ts'
import { toleranceFor } from '../../../service/compiler/tolerance.ts'
import { floodCiphertext } from '../../../service/runtime/seal/flood-noise.ts'
import {
  createLocalRoundTrip,
  type LocalRoundTrip,
} from '../../../service/runtime/seal/local-round-trip.ts'
import { runPlan } from '../../../service/runtime/seal/run-plan.ts'
import { loadMnist } from '../../../training/data/mnist.ts'

const MODEL = 'mnist-dp'
const DIGITS = [0, 1000, 2000, 3000, 4000]

let compiled: CompiledModel
let roundTrip: LocalRoundTrip
let publicKey: PublicKey
let inputs: Float64Array[]
beforeAll(async () => {
  const card = JSON.parse(await readFile(join('models', MODEL, 'card.json'), 'utf8'))
  const record = JSON.parse(await readFile(join('models', MODEL, 'compile.json'), 'utf8'))
  const onnx = new Uint8Array(await readFile(join('models', MODEL, card.onnxFile)))
  compiled = compileModel(onnx, {
    ...record.options,
    parameters: record.parameters,
    floodNoise: { securityBits: 2 },
  })
  roundTrip = await createLocalRoundTrip(compiled)
  publicKey = loadPublicKey(roundTrip.ctx, roundTrip.clientKeys.publicKeyBytes())
  const mnist = loadMnist()
  inputs = DIGITS.map((i) =>
    preprocessInput(
      card.input.preprocessing,
      mnist.inputs.subarray(i * 784, (i + 1) * 784),
      card.input.rawSize,
    ),
  )
})
afterAll(() => {
  publicKey?.delete()
  roundTrip?.delete()
})

interface FloodedQuery {
  before: Float64Array
  after: Float64Array
  bytesBefore: Uint8Array
  bytesAfter: Uint8Array
}

function floodedQuery(x: Float64Array): FloodedQuery {
  const { clientKeys, loaded, evaluationKeys, ctx } = roundTrip
  const input = clientKeys.encrypt(packByContents(contentsOfInputLayout(compiled.inputLayout), x), {
    level: loaded.inputLevel,
  })
  try {
    const { output } = runPlan(loaded, evaluationKeys, input)
    try {
      const before = clientKeys.decrypt(output)
      const bytesBefore = saveCiphertext(ctx, output, 'none')
      floodCiphertext(ctx, output, publicKey, compiled.flooding!.floodBits)
      return {
        before,
        after: clientKeys.decrypt(output),
        bytesBefore,
        bytesAfter: saveCiphertext(ctx, output, 'none'),
      }
    } finally {
      output.delete()
    }
  } finally {
    input.delete()
  }
}

/** Share of the 64-bit words of a size-2 ciphertext's second polynomial that differ. */
function changedWordsOfSecondComponent(a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length)
  const words = compiled.parameters.polyModulusDegree * (roundTrip.loaded.outputLevel + 1)
  const start = a.length - 8 * words
  const viewA = new DataView(a.buffer, a.byteOffset, a.byteLength)
  const viewB = new DataView(b.buffer, b.byteOffset, b.byteLength)
  let changed = 0
  for (let i = 0; i < words; i++)
    if (viewA.getBigUint64(start + 8 * i, true) !== viewB.getBigUint64(start + 8 * i, true))
      changed++
  return changed / words
}

describe(`noise flooding on ${MODEL} (λ = 2)`, () => {
  it('states the flood, its statistical distance and its precision cost in the compiled model', () => {
    const flooding = compiled.flooding!
    expect(flooding.securityBits).toBe(2)
    expect(flooding.floodBits).toBe(Math.ceil(2 + flooding.noiseBoundBits))
    expect(flooding.statisticalDistanceLog2).toBe(
      Math.log2(compiled.parameters.polyModulusDegree) - 3,
    )
    expect(flooding.outputTolerance).toBeGreaterThan(4 * flooding.circuitTolerance)
    expect(flooding.headroomBits).toBeGreaterThanOrEqual(1)
  })

  it('refuses a λ whose flood the last level cannot hold, naming the missing bits', async () => {
    const card = JSON.parse(await readFile(join('models', MODEL, 'card.json'), 'utf8'))
    const record = JSON.parse(await readFile(join('models', MODEL, 'compile.json'), 'utf8'))
    const onnx = new Uint8Array(await readFile(join('models', MODEL, card.onnxFile)))
    expect(() =>
      compileModel(onnx, {
        ...record.options,
        parameters: record.parameters,
        floodNoise: { securityBits: 40 },
      }),
    ).toThrow(/lacks [\d.]+ bits/)
  })

  it('keeps every argmax, stays within the stated tolerance, and adds noise of the stated size', () => {
    const flooding = compiled.flooding!
    const offset = compiled.outputLayout.offset
    const deviations: number[] = []
    for (const x of inputs) {
      const { before, after, bytesBefore, bytesAfter } = floodedQuery(x)
      const expected = evaluateLayerModel(compiled.layerModel, x)
      const size = expected.length
      // The circuit's own error is within the bound the flood is sized from.
      const circuitTolerance = toleranceFor(
        compiled.parameters,
        compiled.plan,
        measureRanges(compiled.plan, [x]),
        roundTrip.ctx.primes,
      )
      for (let j = 0; j < size; j++) {
        expect(Math.abs(before[offset + j] - expected[j])).toBeLessThan(circuitTolerance)
        expect(Math.abs(after[offset + j] - expected[j])).toBeLessThan(flooding.outputTolerance)
      }
      // The digits are ones whose top-2 margin exceeds twice the flooded tolerance, so the
      // argmax must survive; checked, not assumed.
      const sorted = [...expected].sort((a, b) => b - a)
      expect(sorted[0] - sorted[1]).toBeGreaterThan(2 * flooding.outputTolerance)
      expect(argmax(after, offset, size)).toBe(argmax(expected))
      expect(argmax(after, offset, size)).toBe(argmax(before, offset, size))
      // The flood over all N/2 slots: its deviation, measured.
      let squares = 0
      for (let s = 0; s < after.length; s++) squares += (after[s] - before[s]) ** 2
      deviations.push(Math.sqrt(squares / after.length))
      // The second component is re-randomized (the encryption of zero): its words all change,
      // where flooding E alone would leave them as they were.
      expect(changedWordsOfSecondComponent(bytesBefore, bytesAfter)).toBeGreaterThan(0.99)
    }
    for (const deviation of deviations) {
      expect(deviation).toBeGreaterThan(0.95 * flooding.floodDeviation)
      expect(deviation).toBeLessThan(1.05 * flooding.floodDeviation)
    }
  })
})
