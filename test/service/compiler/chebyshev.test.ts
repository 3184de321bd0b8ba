/**
 * Polynomials in the Chebyshev basis (plan op 'chebyshev'): the evaluation tree computes the series
 * exactly at depth ceil(log2(d + 1)), fitted activations meet their errors, and trained polynomials
 * of degree 3..8 compile exactly. Float64 only (no SEAL).
 */
import { describe, expect, it } from 'vitest'
import { buildChebyshevTree } from '../../../service/compiler/chebyshev-tree.ts'
import { evaluateChebyshev, powerToChebyshev } from '../../../service/compiler/chebyshev-fit.ts'
import {
  approximateActivations,
  FIT_MARGIN,
} from '../../../service/compiler/approximate-activations.ts'
import { compileLayerModel } from '../../../service/compiler/compile.ts'
import { applyFunction, polynomialElementwise } from '../../../service/compiler/elementwise.ts'
import {
  evaluateChebyshevLayer,
  evaluateLayerModel,
} from '../../../service/compiler/evaluate-layer-model.ts'
import type { ChebyshevLayer, LayerModel } from '../../../service/compiler/ir.ts'
import { lowerLayerModel } from '../../../service/compiler/lower.ts'
import { evaluatePlanSlots, readOutput } from '../../../service/compiler/measure-ranges.ts'
import { depthOf } from '../../../service/compiler/plan/chebyshev.ts'
import { createExactBackend } from '../../../service/compiler/plan/exact-backend.ts'
import { executePlan } from '../../../service/compiler/plan/execute-plan.ts'
import type { HePlan } from '../../../service/compiler/plan/plan.ts'
import { mlp, randomInputs, seeded } from './layer-models.ts'

/** A one-op plan evaluating per-slot series with the given coefficients (slotCount slots). */
function seriesPlan(coefficients: Float64Array[]): HePlan {
  const slotCount = coefficients[0].length
  const plaintexts: Float64Array[] = []
  const add = (values: Float64Array) => plaintexts.push(values) - 1
  const { tree, giants } = buildChebyshevTree(coefficients, add)
  const minusOnes = Array.from({ length: giants }, () => add(new Float64Array(slotCount).fill(-1)))
  const layout = { slotCount, outputSize: slotCount, offset: 0, period: slotCount, copies: 1 }
  return {
    formatVersion: 1,
    slotCount,
    depth: depthOf(tree),
    inputLayout: {
      slotCount,
      inputSize: slotCount,
      blocks: [{ slotStart: 0, length: slotCount, inputOffset: 0 }],
    },
    outputLayout: layout,
    ops: [{ kind: 'chebyshev', layer: 'p', giants, minusOnes, tree }],
    plaintexts,
    galoisSteps: [],
    needsRelinKeys: true,
  }
}

describe('the Chebyshev evaluation tree', () => {
  it.each([1, 2, 3, 4, 5, 7, 8, 11, 15, 16, 31])(
    'degree %i: every slot gets its own series, at depth ceil(log2(d + 1))',
    (degree) => {
      const random = seeded(degree)
      const slots = 16
      const coefficients = Array.from({ length: degree + 1 }, () =>
        Float64Array.from({ length: slots }, () => 2 * random() - 1),
      )
      const plan = seriesPlan(coefficients)
      expect(plan.depth).toBe(Math.ceil(Math.log2(degree + 1)))
      const t = Float64Array.from({ length: slots }, (_, s) => -1 + (2 * s) / (slots - 1))
      const got = executePlan(plan, createExactBackend(plan), t)
      for (let s = 0; s < slots; s++) {
        const series = coefficients.map((c) => c[s])
        expect(got[s]).toBeCloseTo(evaluateChebyshev(series, t[s]), 10)
      }
    },
  )

  it('skips coefficients that are zero in every slot (node-seal refuses all-zero plaintexts)', () => {
    const zero = new Float64Array(4)
    const one = new Float64Array(4).fill(1)
    const plan = seriesPlan([zero, zero, zero, one]) // T_3 alone
    expect(plan.plaintexts.every((values) => values.some((v) => v !== 0))).toBe(true)
  })

  it('converts the power basis exactly (t^3 = (3 T_1 + T_3) / 4)', () => {
    expect(powerToChebyshev([0, 0, 0, 1])).toEqual([0, 0.75, 0, 0.25])
  })
})

/** A 12-8-3 model with one activation layer of the given function. */
function activationModel(fn: Parameters<typeof applyFunction>[0]): LayerModel {
  const base = mlp([12, 8, 3], [])
  const identity = polynomialElementwise([0, 1])
  return {
    ...base,
    layers: [
      base.layers[0],
      { kind: 'activation', name: fn, function: applyFunction(fn, identity) },
      base.layers[1],
    ],
  }
}

describe('fitted activations', () => {
  const calibration = randomInputs(12, 256, 5)

  it.each([
    ['relu', 3, 0.12],
    ['relu', 7, 0.06],
    ['relu', 15, 0.03],
    ['sigmoid', 7, 0.003],
    ['tanh', 7, 0.01],
  ] as const)(
    '%s at degree %i: max fit error on the calibrated interval < %d, plan = approximated model',
    (fn, degree, bound) => {
      const model = activationModel(fn)
      // The fit on each feature's calibrated range + 30% (the default margin is wider: below).
      const { model: approximated, approximations } = approximateActivations(model, calibration, {
        degree,
        margin: 0.3,
      })
      expect(approximations).toHaveLength(1)
      expect(approximations[0]).toMatchObject({ method: 'fit', degree, function: `${fn}(x)` })
      expect(approximations[0].maxFitError).toBeLessThan(bound)
      const { plan } = lowerLayerModel(approximated, { slotCount: 256 })
      // Two eager products and the series.
      expect(plan.depth).toBe(2 + Math.ceil(Math.log2(degree + 1)))
      for (const x of calibration.slice(0, 4)) {
        const expected = evaluateLayerModel(approximated, x)
        const got = readOutput(plan, evaluatePlanSlots(plan, x))
        got.forEach((value, j) => expect(value).toBeCloseTo(expected[j], 9))
      }
    },
  )

  it('fits on 1 + FIT_MARGIN times each feature range by default, and stays bounded there', () => {
    const model = activationModel('sigmoid')
    const { model: approximated, approximations } = approximateActivations(model, calibration)
    const [{ range, interval, margin }] = approximations
    expect(margin).toBe(FIT_MARGIN)
    expect(interval[0]).toBeLessThan(range[0] - ((range[1] - range[0]) / 2) * 0.5)
    expect(interval[1]).toBeGreaterThan(range[1] + ((range[1] - range[0]) / 2) * 0.5)
    // Pre-activations up to 1 + FIT_MARGIN half-ranges from a feature's center are inside its
    // interval, where the error is at most the reported fit error.
    const layer = approximated.layers[1] as ChebyshevLayer
    for (let j = 0; j < layer.center.length; j++) {
      for (const t of [-1, -0.5, 0.5, 1]) {
        const x = layer.center[j] + t * layer.halfWidth[j]
        const exact = 1 / (1 + Math.exp(-x))
        expect(Math.abs(evaluateChebyshevLayer(layer, j, x) - exact)).toBeLessThanOrEqual(
          approximations[0].maxFitError + 1e-12,
        )
      }
    }
  })

  it('chooses the degree from the error target (a tighter target, a higher degree)', () => {
    const model = activationModel('relu')
    const loose = approximateActivations(model, calibration, { errorTarget: 0.2 })
    const tight = approximateActivations(model, calibration, { errorTarget: 0.01 })
    expect(loose.approximations[0].degree).toBeLessThan(tight.approximations[0].degree)
    expect(tight.approximations[0].relativeRmsError).toBeLessThanOrEqual(0.01)
  })

  it('agrees with the original model on the calibration inputs (reported by compile)', () => {
    const compiled = compileLayerModel(activationModel('sigmoid'), { calibration })
    expect(compiled.approximations.map((a) => a.function)).toEqual(['sigmoid(x)'])
    expect(compiled.approximationCheck.agreement).toBeGreaterThanOrEqual(0.99)
    expect(compiled.reasons.join('\n')).toMatch(/sigmoid\(x\) fitted by degree-\d+ polynomials/)
  })
})

describe('trained polynomials of degree 3 to 8', () => {
  it.each([3, 4, 5, 6, 7, 8])(
    'degree %i compiles exactly (plan = the original polynomial model)',
    (degree) => {
      const coefficients = Array.from({ length: degree + 1 }, (_, k) =>
        k === degree ? 0.05 : 0.3 / (k + 1),
      )
      const model = mlp([12, 8, 3], [coefficients], 3)
      const calibration = randomInputs(12, 32, 6)
      const compiled = compileLayerModel(model, { calibration })
      expect(compiled.approximations[0]).toMatchObject({ method: 'exact', degree })
      expect(compiled.approximations[0].maxFitError).toBeLessThan(1e-9)
      for (const x of calibration.slice(0, 3)) {
        const expected = evaluateLayerModel(model, x)
        const got = readOutput(compiled.plan, evaluatePlanSlots(compiled.plan, x))
        got.forEach((value, j) => expect(value).toBeCloseTo(expected[j], 8))
      }
    },
  )
})
