import { describe, expect, it } from 'vitest'
import { compileLayerModel } from '../../../service/compiler/compile.ts'
import { lowerLayerModel } from '../../../service/compiler/lower.ts'
import { evaluatePlanSlots, readOutput } from '../../../service/compiler/measure-ranges.ts'
import { MAX_COEFF_MODULUS_BITS } from '../../../core/ckks/parameter-set.ts'
import { PrivinferError } from '../../../core/errors.ts'
import { evaluateDense, mlp, randomInputs } from './layer-models.ts'

function expectPlanMatches(
  model: ReturnType<typeof mlp>,
  options: Parameters<typeof lowerLayerModel>[1],
) {
  const { plan } = lowerLayerModel(model, options)
  for (const x of randomInputs(model.inputSize, 3)) {
    const expected = evaluateDense(model, x)
    const got = readOutput(plan, evaluatePlanSlots(plan, x))
    expect(got.length).toBe(expected.length)
    for (let j = 0; j < expected.length; j++) expect(got[j]).toBeCloseTo(expected[j], 9)
  }
  return plan
}

describe('lowerLayerModel: the plan computes the model (exact float64 slot arithmetic)', () => {
  it('784-128-10 square MLP, optimized, unmasked: pre-rotated input, 32 + 16 diagonals, 24 rotations, lazy first layer', () => {
    const plan = expectPlanMatches(mlp([784, 128, 10], [[0, 0, 1]]), {
      slotCount: 4096,
      maskOutput: false,
    })
    const matVecs = plan.ops.filter((op) => op.kind === 'matVec')
    expect(matVecs.map((op) => op.groups.reduce((n, g) => n + g.terms.length, 0))).toEqual([32, 16])
    expect(matVecs[0].rescale).toBe('none')
    expect(plan.depth).toBe(2)
    expect(plan.inputLayout.blocks.map((b) => b.inputOffset)).toEqual([-128, -96, -64, -32])
    expect(plan.galoisSteps).toEqual([1, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048])
  })

  it('784-128-10 masked (the default): the last layer sums whole rows in copy 0, no fold, zeros elsewhere', () => {
    const model = mlp([784, 128, 10], [[0, 0, 1]])
    const plan = expectPlanMatches(model, { slotCount: 4096 })
    const matVecs = plan.ops.filter((op) => op.kind === 'matVec')
    expect(matVecs.map((op) => op.groups.reduce((n, g) => n + g.terms.length, 0))).toEqual([
      32, 128,
    ])
    // The last op that moves slots is the last product: no fold after it.
    expect(plan.ops.at(-1)?.kind === 'fold' || plan.ops.at(-2)?.kind === 'fold').toBe(false)
    expect(plan.outputLayout.copies).toBe(1)
    for (const x of randomInputs(model.inputSize, 2, 9)) {
      const slots = evaluatePlanSlots(plan, x)
      for (let s = model.outputSize; s < slots.length; s++) expect(slots[s]).toBe(0)
    }
    expect(() =>
      lowerLayerModel(model, { slotCount: 4096, maskOutput: true, clientFold: true }),
    ).toThrow(/exclude each other/)
  })

  it('784-128-10 baseline: replicated input, 128 diagonals, giant step 8, depth 3', () => {
    const plan = expectPlanMatches(mlp([784, 128, 10], [[0, 0, 1]]), {
      slotCount: 4096,
      strategy: 'baseline',
    })
    const first = plan.ops.find((op) => op.kind === 'matVec')!
    expect(
      first.kind === 'matVec' && [first.giantStep, first.maxBaby, first.giantRotations],
    ).toEqual([8, 7, 15])
    expect(plan.depth).toBe(3)
  })

  it('a·x² + b·x + d activations (completed square, and x² + (b/a)x when the shift is large), two poly layers', () => {
    expectPlanMatches(
      mlp(
        [64, 32, 16, 10],
        [
          [0.1, 0.5, 0.25],
          [-0.2, 0.3, 0.5],
        ],
        4,
      ),
      { slotCount: 1024 },
    )
    const model = mlp([64, 32, 10], [[1, 40, 0.5]], 5)
    const lowered = lowerLayerModel(model, {
      slotCount: 1024,
      preActivationMaxAbs: new Map([[1, 2]]),
    })
    expect(
      lowered.plan.ops.some((op) => op.kind === 'square' && op.linearPlaintext !== undefined),
    ).toBe(true)
    expectPlanMatches(model, { slotCount: 1024, preActivationMaxAbs: new Map([[1, 2]]) })
  })

  it('linear activations fold away; consecutive linear layers are multiplied out; a trailing square gets a diagonal layer', () => {
    const linear = expectPlanMatches(mlp([20, 16, 4], [[0.5, 2]]), { slotCount: 256 })
    expect(linear.ops.filter((op) => op.kind === 'matVec')).toHaveLength(1)
    expectPlanMatches(mlp([20, 16, 4], [undefined, [0, 0, 1]]), { slotCount: 256 })
  })

  it('client fold: no last fold, the output layout lists the copies the client sums', () => {
    const plan = expectPlanMatches(mlp([784, 128, 10], [[0, 0, 1]]), {
      slotCount: 4096,
      clientFold: true,
    })
    expect(plan.outputLayout.copies).toBeGreaterThan(1)
    expect(plan.galoisSteps).not.toContain(64)
  })

  it('lazy output: depth 1, neither product rescaled, output left at level 0', () => {
    const plan = expectPlanMatches(mlp([784, 128, 10], [[0, 0, 1]]), {
      slotCount: 4096,
      lazyOutput: true,
    })
    expect(plan.depth).toBe(1)
    expect(
      plan.ops.filter((op) => op.kind === 'matVec').map((op) => op.kind === 'matVec' && op.rescale),
    ).toEqual(['none', 'none'])
  })

  it('rejects degree-3 activations with PLAN_INVALID naming the layer', () => {
    const model = mlp([8, 4, 2], [[0, 0, 0, 1]])
    expect(() => lowerLayerModel(model, { slotCount: 64 })).toThrow(PrivinferError)
    expect(() => lowerLayerModel(model, { slotCount: 64 })).toThrow(/act1 \(degree 3\)/)
  })
})

/** A precision target loose enough that these tests see the cheapest chains (lazy output). */
const LOOSE = 0.05

describe('compileLayerModel: parameter selection', () => {
  it('picks N=8192 within the 218-bit budget for the 784-128-10 square MLP, with reasons', () => {
    const compiled = compileLayerModel(mlp([784, 128, 10], [[0, 0, 1]]), { maskOutput: false })
    const { parameters } = compiled
    expect(parameters.polyModulusDegree).toBe(8192)
    const total = parameters.coeffModulusBits.reduce((a, b) => a + b, 0)
    expect(total).toBeLessThanOrEqual(MAX_COEFF_MODULUS_BITS[8192])
    expect(parameters.coeffModulusBits).toHaveLength(compiled.depth + 2)
    const special = parameters.coeffModulusBits.at(-1)!
    expect(special).toBeGreaterThanOrEqual(Math.max(...parameters.coeffModulusBits))
    expect(compiled.reasons.join('\n')).toMatch(/N = 8192/)
    expect(compiled.opCounts.rotations).toBe(24)
  })

  it('lazy output fits 2 data primes at N=8192, with q0 holding the output scale and headroom', () => {
    const compiled = compileLayerModel(mlp([784, 128, 10], [[0, 0, 1]]), {
      lazyOutput: true,
      outputPrecision: LOOSE,
    })
    const { coeffModulusBits, scaleBits, weightScaleBits, outputScaleBits } = compiled.parameters
    expect(compiled.parameters.polyModulusDegree).toBe(8192)
    expect(coeffModulusBits).toHaveLength(3)
    expect(coeffModulusBits[0]).toBeGreaterThan(outputScaleBits)
    expect(coeffModulusBits[0]).toBeLessThanOrEqual(60)
    expect(weightScaleBits).toBe(scaleBits - 7)
  })

  it('uses the lazy-output chain by default when it fits, and falls back when it does not', () => {
    expect(
      compileLayerModel(mlp([784, 128, 10], [[0, 0, 1]]), { outputPrecision: LOOSE }).depth,
    ).toBe(1)
    // Outputs ~2^20: a single 57-bit q0 cannot hold them at a >= 24-bit input scale.
    const huge = compileLayerModel(mlp([32, 16, 4], [[0, 0, 1]], 2, 400), {
      outputPrecision: LOOSE,
    })
    expect(huge.depth).toBeGreaterThan(1)
    expect(huge.reasons.some((reason) => reason.includes('lazy output'))).toBe(true)
  })

  it('gives q0 more headroom when the outputs are larger', () => {
    const options = { lazyOutput: false, outputPrecision: LOOSE }
    const small = compileLayerModel(mlp([32, 16, 4], [[0, 0, 1]], 2, 1), options)
    const large = compileLayerModel(mlp([32, 16, 4], [[0, 0, 1]], 2, 8), options)
    expect(large.parameters.coeffModulusBits[0]).toBeGreaterThan(
      small.parameters.coeffModulusBits[0],
    )
  })

  it('moves to a larger ring when the depth does not fit: five square layers need N > 8192', () => {
    const sizes = [16, 16, 16, 16, 16, 16, 4]
    const square = [0, 0, 1]
    const compiled = compileLayerModel(mlp(sizes, [square, square, square, square, square], 3, 0.5))
    expect(compiled.parameters.polyModulusDegree).toBeGreaterThan(8192)
    expect(compiled.reasons.some((reason) => reason.startsWith('rejected N=8192'))).toBe(true)
  })
})
