/**
 * Output masking (model-owner protection, docs/threat-model.md): for every bundled model (except a
 * single linear layer compiled with `maskOutput: false` and a stated reason), the
 * decrypted result of a real encrypted query (node-seal, N = 8192) holds the outputs in their slots
 * and only noise elsewhere: every other slot within toleranceFor(parameters, plan) (the bound the
 * outputs themselves are held to) and within 8 times the query's own noise, measured as the largest
 * |HE - float64| over its outputs (the largest of ~4,000 noise samples exceeds the largest of 10 by
 * about 2.5x). The same model lowered without the mask shows what masking removes: partial sums of
 * the last layer hundreds of times above the noise.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readdir, readFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { preprocessInput } from '../../../client/preprocess.ts'
import { contentsOfInputLayout, packByContents } from '../../../core/layout/slot-contents.ts'
import { compileModel, type CompiledModel } from '../../../service/compiler/compile.ts'
import { evaluateLayerModel } from '../../../service/compiler/evaluate-layer-model.ts'
import { measureRanges } from '../../../service/compiler/measure-ranges.ts'
import { createNoiseBackend } from '../../../service/compiler/noise-backend.ts'
import { executePlan } from '../../../service/compiler/plan/execute-plan.ts'
import { toleranceFor } from '../../../service/compiler/tolerance.ts'
import { loadModelDirectory } from '../../../service/models/index.ts'
import {
  createLocalRoundTrip,
  type LocalRoundTrip,
} from '../../../service/runtime/seal/local-round-trip.ts'
import { runPlan } from '../../../service/runtime/seal/run-plan.ts'
import { loadMnist } from '../../../training/data/mnist.ts'
import { fashionSample, torchFixtureBytes } from '../../support/torch-fixtures.ts'

const allBundled = (await readdir('models'))
  .filter((id) => existsSync(join('models', id, 'card.json')))
  .sort()

/**
 * Models compiled with an explicit `maskOutput: false` (compile.json): only with a stated reason in
 * the card (a single linear layer, whose weights a client recovers from its answers anyway).
 */
async function unmaskedByChoice(id: string): Promise<boolean> {
  const record = JSON.parse(await readFile(join('models', id, 'compile.json'), 'utf8'))
  return record.options?.maskOutput === false
}
const optedOut = new Set<string>()
for (const id of allBundled) if (await unmaskedByChoice(id)) optedOut.add(id)
const bundled = allBundled.filter((id) => !optedOut.has(id))

describe('models compiled without the mask', () => {
  it('say why in their card, and are single linear layers', async () => {
    for (const id of optedOut) {
      const card = JSON.parse(await readFile(join('models', id, 'card.json'), 'utf8'))
      expect(
        card.he.reasons.some((reason: string) => reason.startsWith('output masking off:')),
      ).toBe(true)
      const { compiled } = await loadModelDirectory(join('models', id))
      expect(compiled.layerModel.layers).toHaveLength(1)
    }
  })
})

interface Decrypted {
  /** Largest |slot| outside the output slots. */
  largestElsewhere: number
  /** Largest |HE - float64| over the outputs: this query's noise. */
  outputError: number
  tolerance: number
  slots: Float64Array
  expected: Float64Array
}

/** One encrypted query of a test digit; every slot of the decrypted result. */
function decryptAllSlots(
  compiled: CompiledModel,
  roundTrip: LocalRoundTrip,
  x: Float64Array,
): Decrypted {
  const { clientKeys, loaded, evaluationKeys, ctx } = roundTrip
  const input = clientKeys.encrypt(packByContents(contentsOfInputLayout(compiled.inputLayout), x), {
    level: loaded.inputLevel,
  })
  let slots: Float64Array
  try {
    const result = runPlan(loaded, evaluationKeys, input)
    try {
      slots = clientKeys.decrypt(result.output)
    } finally {
      result.output.delete()
    }
  } finally {
    input.delete()
  }
  const layout = compiled.outputLayout
  const outputSlots = new Set<number>()
  for (let j = 0; j < layout.outputSize; j++)
    for (let t = 0; t < layout.copies; t++) outputSlots.add(layout.offset + j + t * layout.period)
  const tolerance = toleranceFor(
    compiled.parameters,
    compiled.plan,
    measureRanges(compiled.plan, [x]),
    ctx.primes,
  )
  const expected = evaluateLayerModel(compiled.layerModel, x)
  let largestElsewhere = 0
  for (let s = 0; s < slots.length; s++)
    if (!outputSlots.has(s)) largestElsewhere = Math.max(largestElsewhere, Math.abs(slots[s]))
  let outputError = 0
  for (let j = 0; j < expected.length; j++)
    outputError = Math.max(outputError, Math.abs(slots[layout.offset + j] - expected[j]))
  return { largestElsewhere, outputError, tolerance, slots, expected }
}

let digit: Float32Array
beforeAll(() => {
  const mnist = loadMnist()
  digit = mnist.inputs.subarray(0, 784)
})

describe.each(bundled)('bundled model %s', (id) => {
  let compiled: CompiledModel
  let roundTrip: LocalRoundTrip
  beforeAll(async () => {
    compiled = (await loadModelDirectory(join('models', id))).compiled
    roundTrip = await createLocalRoundTrip(compiled)
  })
  afterAll(() => roundTrip?.delete())

  it('decrypts to its outputs in the output slots and to zeros (within the noise) everywhere else', async () => {
    const card = JSON.parse(await readFile(join('models', id, 'card.json'), 'utf8'))
    const x = preprocessInput(card.input.preprocessing, digit, card.input.rawSize)
    const { largestElsewhere, outputError, tolerance } = decryptAllSlots(compiled, roundTrip, x)
    expect(compiled.outputLayout.copies).toBe(1)
    expect(outputError).toBeLessThan(tolerance)
    expect(largestElsewhere).toBeLessThan(tolerance)
    expect(largestElsewhere).toBeLessThan(8 * outputError)
  })
})

describe('the same model without the mask', () => {
  it('leaks partial sums of the last layer far above the noise in the other slots', async () => {
    const id = bundled[0]
    const card = JSON.parse(await readFile(join('models', id, 'card.json'), 'utf8'))
    const record = JSON.parse(await readFile(join('models', id, 'compile.json'), 'utf8'))
    const onnx = new Uint8Array(await readFile(join('models', id, card.onnxFile)))
    const unmasked = compileModel(onnx, {
      ...record.options,
      parameters: record.parameters,
      maskOutput: false,
    })
    const roundTrip = await createLocalRoundTrip(unmasked)
    try {
      const x = preprocessInput(card.input.preprocessing, digit, card.input.rawSize)
      const { largestElsewhere, outputError } = decryptAllSlots(unmasked, roundTrip, x)
      expect(largestElsewhere).toBeGreaterThan(100 * outputError)
    } finally {
      roundTrip.delete()
    }
  })
})

describe('maskOutput forced on a last layer with near-zero diagonals (conv-square-gemm)', () => {
  it('drops the products by zero-encoding diagonals and still decrypts to the outputs', async () => {
    const compiled = compileModel(torchFixtureBytes('conv-square-gemm'), { maskOutput: true })
    const roundTrip = await createLocalRoundTrip(compiled)
    try {
      // Masking puts each output's whole sum in its own slot: some diagonals then hold a single
      // small weight, which encodes to the zero polynomial at the weight scale.
      expect(roundTrip.loaded.zeroPlaintexts.length).toBeGreaterThan(0)
      const x = fashionSample().images[0]
      const { largestElsewhere, outputError, tolerance, slots, expected } = decryptAllSlots(
        compiled,
        roundTrip,
        x,
      )
      expect(outputError).toBeLessThan(tolerance)
      expect(largestElsewhere).toBeLessThan(tolerance)
      // The noise model carries the encoding's fixed error (here up to ~1e-2, the dropped
      // weights and the rounding gathered on the few weights of each diagonal): what is left of
      // the HE error after it is within 6 deviations of the random part, output by output.
      const backend = createNoiseBackend(compiled.plan, compiled.parameters, roundTrip.ctx.primes)
      const packed = packByContents(contentsOfInputLayout(compiled.inputLayout), x)
      const modelled = executePlan(compiled.plan, backend, backend.encrypt(packed))
      const { offset } = compiled.outputLayout
      let largestFixed = 0
      let largestRandom = 0
      for (let j = 0; j < expected.length; j++) {
        const fixed = modelled.fixed[offset + j]
        largestFixed = Math.max(largestFixed, Math.abs(fixed))
        const random = slots[offset + j] - expected[j] - fixed
        largestRandom = Math.max(largestRandom, Math.abs(random))
        expect(Math.abs(random)).toBeLessThan(6 * modelled.deviation[offset + j])
      }
      expect(largestFixed).toBeGreaterThan(1e-3)
      // ... and it is most of the error: removing it leaves under half of the largest.
      expect(largestRandom).toBeLessThan(0.5 * outputError)
    } finally {
      roundTrip.delete()
    }
  })
})
