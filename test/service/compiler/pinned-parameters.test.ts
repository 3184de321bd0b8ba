import { describe, expect, it } from 'vitest'
import { compileLayerModel } from '../../../service/compiler/compile.ts'
import { mlp, randomInputs } from './layer-models.ts'

const calibration = randomInputs(64, 8).map((x) => Array.from(x))

describe('compileLayerModel with pinned parameters', () => {
  const model = mlp([64, 32, 10], [[0, 0, 1], undefined])

  it('reuses a pinned lazy-output chain (depth 1) without options', () => {
    const lazy = compileLayerModel(model, { calibration, lazyOutput: true, outputPrecision: 0.05 })
    expect(lazy.depth).toBe(1)
    const again = compileLayerModel(model, { calibration, parameters: lazy.parameters })
    expect(again.depth).toBe(1)
    expect(again.parameters).toEqual(lazy.parameters)
  })

  it('loads a two-level chain pinned before lazy output became the default (options recorded as {})', () => {
    const standard = compileLayerModel(model, {
      calibration,
      lazyOutput: false,
      outputPrecision: 0.05,
    })
    expect(standard.depth).toBe(2)
    const again = compileLayerModel(model, { calibration, parameters: standard.parameters })
    expect(again.depth).toBe(2)
    expect(again.galoisSteps).toEqual(standard.galoisSteps)
  })

  it('rejects a pinned chain that fits no candidate plan with PLAN_INVALID', () => {
    const standard = compileLayerModel(model, {
      calibration,
      lazyOutput: false,
      outputPrecision: 0.05,
    })
    const tooDeep = {
      ...standard.parameters,
      // Four levels: the candidate plans have 1 (lazy output), 2 and 3 (eager).
      coeffModulusBits: [40, 30, 30, 30, 30, 40],
    }
    expect(() => compileLayerModel(model, { calibration, parameters: tooDeep })).toThrow(
      expect.objectContaining({ code: 'PLAN_INVALID' }),
    )
  })
})
