/**
 * A fitted activation of degree 2 (one quadratic per feature) is completed to a bare square like a
 * trained x² (complete-square.ts): the plan has the square model's depth, no Chebyshev op, and
 * computes the approximated model exactly; a layer with a nearly linear feature stays a Chebyshev
 * step. Float64 only.
 */
import { describe, expect, it } from 'vitest'
import { approximateActivations } from '../../../service/compiler/approximate-activations.ts'
import { completeSquares } from '../../../service/compiler/complete-square.ts'
import { applyFunction, polynomialElementwise } from '../../../service/compiler/elementwise.ts'
import { evaluateLayerModel } from '../../../service/compiler/evaluate-layer-model.ts'
import type { ChebyshevLayer, LayerModel } from '../../../service/compiler/ir.ts'
import { lowerLayerModel } from '../../../service/compiler/lower.ts'
import { evaluatePlanSlots, readOutput } from '../../../service/compiler/measure-ranges.ts'
import { mlp, randomInputs } from './layer-models.ts'

const calibration = randomInputs(12, 256, 5)

function reluModel(): LayerModel {
  const base = mlp([12, 8, 3], [])
  return {
    ...base,
    layers: [
      base.layers[0],
      {
        kind: 'activation',
        name: 'relu',
        function: applyFunction('relu', polynomialElementwise([0, 1])),
      },
      base.layers[1],
    ],
  }
}

function expectPlanComputes(model: LayerModel, plan: ReturnType<typeof lowerLayerModel>['plan']) {
  for (const x of calibration.slice(0, 6)) {
    const expected = evaluateLayerModel(model, x)
    const got = readOutput(plan, evaluatePlanSlots(plan, x))
    const range = Math.max(...expected.map(Math.abs))
    got.forEach((value, j) => expect(Math.abs(value - expected[j])).toBeLessThan(1e-9 * range))
  }
}

describe('fitted quadratics complete to squares', () => {
  it('relu fitted at degree 2: one square step, the depth of a trained x², the fitted model exactly', () => {
    const { model: approximated } = approximateActivations(reluModel(), calibration, {
      degree: 2,
      margin: 1,
    })
    expect(approximated.layers[1].kind).toBe('chebyshev')
    const completed = completeSquares(approximated)
    expect(completed.steps.map((step) => step.kind)).toEqual(['linear', 'square', 'linear'])
    expect(completed.reasons.join('\n')).toMatch(/degree-2 fit completed to a square per feature/)
    const { plan } = lowerLayerModel(approximated, { slotCount: 256 })
    expect(plan.ops.some((op) => op.kind === 'chebyshev')).toBe(false)
    const square = lowerLayerModel(mlp([12, 8, 3], [[0, 0, 1]]), { slotCount: 256 })
    expect(plan.depth).toBe(square.plan.depth)
    expectPlanComputes(approximated, plan)
  })

  it('a nearly linear feature (no x² term) keeps the layer a Chebyshev step, still exact', () => {
    const { model: approximated } = approximateActivations(reluModel(), calibration, {
      degree: 2,
      margin: 1,
    })
    const fitted = approximated.layers[1] as ChebyshevLayer
    const k2 = Float64Array.from(fitted.coefficients[2])
    k2[3] = 0
    const linearFeature: LayerModel = {
      ...approximated,
      layers: [
        approximated.layers[0],
        { ...fitted, coefficients: [fitted.coefficients[0], fitted.coefficients[1], k2] },
        approximated.layers[2],
      ],
    }
    const completed = completeSquares(linearFeature)
    expect(completed.steps.map((step) => step.kind)).toEqual(['linear', 'chebyshev', 'linear'])
    expect(completed.reasons.join('\n')).toMatch(/kept as a Chebyshev step/)
    const { plan } = lowerLayerModel(linearFeature, { slotCount: 256 })
    expectPlanComputes(linearFeature, plan)
  })
})
