/**
 * Batch plans in exact float64 arithmetic (no SEAL): a lanes plan evaluates K different inputs at
 * once exactly like the single plan does each, a features plan like the dense model; both walk the
 * same levels and scales as the single plan; a K the plans cannot hold is refused naming the limit.
 */
import { describe, expect, it } from 'vitest'
import { compileLayerModel } from '../../../../service/compiler/compile.ts'
import { expandToLanes } from '../../../../service/compiler/batch/lanes.ts'
import { scheduleFeatureScales } from '../../../../service/compiler/batch/feature-schedule.ts'
import { executePlan } from '../../../../service/compiler/plan/execute-plan.ts'
import { createExactBackend } from '../../../../service/compiler/plan/exact-backend.ts'
import { executeFeaturePlan } from '../../../../service/compiler/plan/execute-feature-plan.ts'
import { createExactFeatureBackend } from '../../../../service/compiler/plan/exact-feature-backend.ts'
import { scheduleScales } from '../../../../service/compiler/scale-schedule.ts'
import { lowerLayerModel } from '../../../../service/compiler/lower.ts'
import { nominalPrimes } from '../../../../service/runtime/plain/float64-backend.ts'
import {
  packFeatures,
  packLanes,
  unpackFeatures,
  unpackLanes,
} from '../../../../core/he/batch-slots.ts'
import { evaluateDense, mlp, randomInputs } from '../layer-models.ts'
import { PrivinferError } from '../../../../core/errors.ts'

const model = mlp([64, 32, 10], [[0.1, 0.5, 0.25]], 3)
const inputs = randomInputs(64, 5, 9)

function expectClose(got: ArrayLike<number>, expected: ArrayLike<number>) {
  expect(got.length).toBe(expected.length)
  for (let j = 0; j < expected.length; j++)
    expect(Math.abs(got[j] - expected[j])).toBeLessThan(1e-9 * (1 + Math.abs(expected[j])))
}

describe('lanes batch plans', () => {
  it('evaluate K different inputs side by side as the single plan does each', () => {
    const lanes = 8
    const virtual = lowerLayerModel(model, { slotCount: 4096 / lanes }).plan
    const plan = expandToLanes(virtual, lanes)
    expect(plan.slotCount).toBe(4096)
    expect(plan.galoisSteps.every((step) => step % lanes === 0)).toBe(true)
    const batch = inputs.slice(0, 5) // a partial batch: 5 of 8 lanes
    const real = packLanes(plan.inputLayout, lanes, batch)
    const out = executePlan(plan, createExactBackend(plan), real)
    const outputs = unpackLanes(plan.outputLayout, lanes, out, batch.length)
    expect(outputs).toHaveLength(5)
    batch.forEach((x, k) => expectClose(outputs[k], evaluateDense(model, x)))
  })

  it('is compiled by --batch K on the single plan’s parameters, with its steps in the key set', () => {
    const compiled = compileLayerModel(model, { batch: 4, packing: 'lanes' })
    const batch = compiled.batch
    expect(batch?.packing).toBe('lanes')
    if (batch?.packing !== 'lanes') return
    expect(batch.maxBatch).toBe(4)
    expect(batch.plan.depth).toBe(compiled.plan.depth)
    for (const step of batch.plan.galoisSteps) expect(compiled.galoisSteps).toContain(step)
    // Same walk: the output ends at the single plan's level and scale.
    const primes = nominalPrimes(compiled.parameters)
    const single = scheduleScales(compiled.plan, compiled.parameters, primes)
    const lanes = scheduleScales(batch.plan, compiled.parameters, primes)
    expect(lanes.outputLevel).toBe(single.outputLevel)
    expect(lanes.outputScale).toBeCloseTo(single.outputScale, 0)
  })
})

describe('features batch plans', () => {
  it('evaluate one input per slot as the dense model does, partial batch included', () => {
    const compiled = compileLayerModel(model, { batch: 4096, packing: 'features' })
    const batch = compiled.batch
    expect(batch?.packing).toBe('features')
    if (batch?.packing !== 'features') return
    expect(batch.maxBatch).toBe(4096)
    expect(batch.opCounts.rotations).toBe(0)
    const registers = packFeatures(64, 4096, inputs)
    const out = executeFeaturePlan(batch.plan, createExactFeatureBackend(batch.plan), registers)
    const outputs = unpackFeatures(out, inputs.length)
    inputs.forEach((x, k) => expectClose(outputs[k], evaluateDense(model, x)))
    // Slots of unused batch positions carry the model of a zero input, never another input's data.
    expectClose(unpackFeatures(out, 6)[5], evaluateDense(model, new Float64Array(64)))
    const primes = nominalPrimes(compiled.parameters)
    const single = scheduleScales(compiled.plan, compiled.parameters, primes)
    const features = scheduleFeatureScales(batch.plan, compiled.parameters, primes)
    expect(features.outputLevel).toBe(single.outputLevel)
    expect(features.outputScale / single.outputScale).toBeCloseTo(1, 9)
  })
})

describe('batch limits', () => {
  it('refuses a K no packing holds, naming the limit (BATCH_TOO_LARGE)', () => {
    const refused = (options: Parameters<typeof compileLayerModel>[1]) => {
      try {
        compileLayerModel(model, options)
      } catch (error) {
        return error as PrivinferError
      }
      throw new Error('compiled')
    }
    const tooMany = refused({ batch: 4097 })
    expect(tooMany.code).toBe('BATCH_TOO_LARGE')
    expect(tooMany.message).toContain('4096')
    const lanes = refused({ batch: 128, packing: 'lanes' })
    expect(lanes.code).toBe('BATCH_TOO_LARGE')
    expect(lanes.details.limit).toBeLessThan(128)
    expect(lanes.message).toContain(`at most ${lanes.details.limit as number} inputs`)
  })
})
