/**
 * Chebyshev plan ops under node-seal: fitted activations and a trained degree-5 polynomial agree
 * with the exact float64 plan within toleranceFor, with relinearization keys, at N=8192.
 */
import { describe, expect, it } from 'vitest'
import { compileLayerModel } from '../../../service/compiler/compile.ts'
import { applyFunction, polynomialElementwise } from '../../../service/compiler/elementwise.ts'
import {
  evaluatePlanSlots,
  measureRanges,
  readOutput,
} from '../../../service/compiler/measure-ranges.ts'
import { toleranceFor } from '../../../service/compiler/tolerance.ts'
import { createLocalRoundTrip } from '../../../service/runtime/seal/local-round-trip.ts'
import { runPlan } from '../../../service/runtime/seal/run-plan.ts'
import { contentsOfInputLayout, packByContents } from '../../../core/layout/slot-contents.ts'
import { mlp, randomInputs } from '../compiler/layer-models.ts'

describe('node-seal execution of Chebyshev series', () => {
  it.each([
    ['relu fitted at degree 7', 'relu'],
    ['a trained degree-5 polynomial', 'poly5'],
  ])('%s agrees with float64 within the tolerance and leaks nothing', async (_name, kind) => {
    const base = mlp([12, 8, 3], kind === 'poly5' ? [[0.1, 0.5, 0.2, 0.05, 0.01, 0.002]] : [], 7)
    const model =
      kind === 'relu'
        ? {
            ...base,
            layers: [
              base.layers[0],
              {
                kind: 'activation' as const,
                name: 'relu',
                function: applyFunction('relu', polynomialElementwise([0, 1])),
              },
              base.layers[1],
            ],
          }
        : base
    const calibration = randomInputs(12, 64, 2)
    const compiled = compileLayerModel(model, {
      calibration,
      approximation: { degree: 7 },
      polyModulusDegree: 8192,
    })
    const roundTrip = await createLocalRoundTrip(compiled)
    try {
      const tolerance = toleranceFor(
        compiled.parameters,
        compiled.plan,
        measureRanges(compiled.plan, calibration),
        roundTrip.ctx.primes,
      )
      for (const x of calibration.slice(0, 2)) {
        const expected = readOutput(compiled.plan, evaluatePlanSlots(compiled.plan, x))
        const { outputs } = roundTrip.query(x)
        outputs.forEach((value, j) => expect(Math.abs(value - expected[j])).toBeLessThan(tolerance))
      }
      // The executor works on copies: the input keeps its level; nothing else stays alive.
      const { ctx, loaded, clientKeys, evaluationKeys } = roundTrip
      const input = clientKeys.encrypt(
        packByContents(contentsOfInputLayout(compiled.inputLayout), calibration[0]),
        { level: loaded.inputLevel },
      )
      try {
        const result = runPlan(loaded, evaluationKeys, input)
        expect(result.leaked).toBe(0)
        expect(ctx.levelOf(input)).toBe(loaded.inputLevel)
        expect(ctx.levelOf(result.output)).toBe(0)
        result.output.delete()
      } finally {
        input.delete()
      }
    } finally {
      roundTrip.delete()
    }
  })
})
