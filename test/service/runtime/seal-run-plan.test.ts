import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { compileLayerModel, type CompiledModel } from '../../../service/compiler/compile.ts'
import { measureRanges } from '../../../service/compiler/measure-ranges.ts'
import { toleranceFor } from '../../../service/compiler/tolerance.ts'
import {
  createLocalRoundTrip,
  type LocalRoundTrip,
} from '../../../service/runtime/seal/local-round-trip.ts'
import { runPlan } from '../../../service/runtime/seal/run-plan.ts'
import { contentsOfInputLayout, packByContents } from '../../../core/layout/slot-contents.ts'
import { evaluateDense, mlp, randomInputs } from '../compiler/layer-models.ts'

// node-seal is loaded once per file (core/seal/load.ts); N=8192 at 128-bit security throughout.
describe('node-seal execution of a compiled 784-128-10 square MLP', () => {
  let compiled: CompiledModel
  let roundTrip: LocalRoundTrip
  beforeAll(async () => {
    compiled = compileLayerModel(mlp([784, 128, 10], [[0, 0, 1]], 11, 2))
    roundTrip = await createLocalRoundTrip(compiled)
  })
  afterAll(() => roundTrip?.delete())

  it('agrees with float64 within toleranceFor(parameters, plan) on every output', () => {
    const inputs = randomInputs(784, 3, 21)
    const tolerance = toleranceFor(
      compiled.parameters,
      compiled.plan,
      measureRanges(compiled.plan, inputs),
      roundTrip.ctx.primes,
    )
    expect(tolerance).toBeGreaterThan(0)
    for (const x of inputs) {
      const expected = evaluateDense(compiled.layerModel, x)
      const { outputs } = roundTrip.query(x)
      for (let j = 0; j < expected.length; j++)
        expect(Math.abs(outputs[j] - expected[j])).toBeLessThan(tolerance)
    }
  })

  it('leaves no ciphertext alive after many queries and encodes no plaintext per query', () => {
    const { ctx, loaded, clientKeys, evaluationKeys } = roundTrip
    const x = randomInputs(784, 1, 5)[0]
    const input = clientKeys.encrypt(
      packByContents(contentsOfInputLayout(compiled.inputLayout), x),
      { level: loaded.inputLevel },
    )
    const plaintextsBefore = loaded.plaintexts.length
    try {
      for (let query = 0; query < 12; query++) {
        const result = runPlan(loaded, evaluationKeys, input)
        expect(result.leaked).toBe(0)
        expect(ctx.levelOf(result.output)).toBe(0)
        expect(result.output.isDeleted()).toBe(false)
        result.output.delete()
      }
    } finally {
      input.delete()
    }
    expect(loaded.plaintexts.length).toBe(plaintextsBefore)
    expect(loaded.plaintexts.every((plaintext) => !plaintext.isDeleted())).toBe(true)
  })

  it('sends sizes within the issue limits (input <= 256 KB, output <= 128 KB, Galois keys <= 10 MB)', () => {
    const { inputBytes, outputBytes } = roundTrip.query(randomInputs(784, 1, 8)[0])
    expect(inputBytes).toBeLessThanOrEqual(256 * 1024)
    expect(outputBytes).toBeLessThanOrEqual(128 * 1024)
    expect(roundTrip.galoisKeyBytes).toBeLessThanOrEqual(10 * 1024 * 1024)
  })
})

describe('node-seal execution of deeper and shifted polynomials', () => {
  it('two a·x² + b·x + d layers (64-32-16-10) agree with float64 within the tolerance', async () => {
    const compiled = compileLayerModel(
      mlp(
        [64, 32, 16, 10],
        [
          [0.1, 0.5, 0.25],
          [-0.2, 0.3, 0.5],
        ],
        4,
      ),
    )
    const roundTrip = await createLocalRoundTrip(compiled)
    try {
      const inputs = randomInputs(64, 2, 3)
      const tolerance = toleranceFor(
        compiled.parameters,
        compiled.plan,
        measureRanges(compiled.plan, inputs),
        roundTrip.ctx.primes,
      )
      for (const x of inputs) {
        const expected = evaluateDense(compiled.layerModel, x)
        const { outputs } = roundTrip.query(x)
        for (let j = 0; j < 10; j++)
          expect(Math.abs(outputs[j] - expected[j])).toBeLessThan(tolerance)
      }
    } finally {
      roundTrip.delete()
    }
  })
})
