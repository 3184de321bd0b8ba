/**
 * The precision target (select-parameters.ts outputPrecision): a plan that cannot meet it is
 * refused with the typed error PRECISION_NOT_MET, never compiled with a looser tolerance; and the
 * import check (compare-he.ts assertPrecisionMet) refuses a measured CKKS error over the target.
 */
import { describe, expect, it } from 'vitest'
import { PrivinferError } from '../../../core/errors.ts'
import { compileLayerModel } from '../../../service/compiler/compile.ts'
import { assertPrecisionMet } from '../../../service/models/compare-he.ts'
import { mlp, randomInputs } from './layer-models.ts'

const calibration = randomInputs(64, 8).map((x) => Array.from(x))
const model = mlp([64, 32, 10], [[0, 0, 1], undefined])

function refusal(run: () => unknown): PrivinferError {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(PrivinferError)
    return error as PrivinferError
  }
  throw new Error('expected a PrivinferError')
}

describe('precision target', () => {
  it('meets the default target (1e-3 x max |output|) with a tolerance below it', () => {
    const compiled = compileLayerModel(model, { calibration })
    const line = compiled.reasons.find((reason) => reason.startsWith('precision: tolerance'))
    const [, tolerance, target] = /tolerance (\S+) .*= (\S+)$/.exec(line ?? '') ?? []
    expect(Number(tolerance)).toBeLessThanOrEqual(Number(target))
    expect(Number(target)).toBeCloseTo(1e-3 * compiled.calibration.outputMaxAbs, 5)
  })

  it('refuses an output precision no 128-bit chain reaches with PRECISION_NOT_MET', () => {
    const error = refusal(() => compileLayerModel(model, { calibration, outputPrecision: 1e-13 }))
    expect(error.code).toBe('PRECISION_NOT_MET')
    const details = error.details as { tolerance: number; target: number; tried: string[] }
    expect(details.tolerance).toBeGreaterThan(details.target)
    // Every ring was tried before giving up.
    expect(details.tried.some((line) => line.startsWith('N=32768'))).toBe(true)
  })

  it('refuses scales capped too small for the default target with PRECISION_NOT_MET', () => {
    const error = refusal(() =>
      compileLayerModel(model, { calibration, maxScaleBits: 22, minScaleBits: 20 }),
    )
    expect(error.code).toBe('PRECISION_NOT_MET')
    expect(error.message).toMatch(/best tolerance .* > target/)
  })

  it('the import check refuses a measured error over the target, and passes one under it', () => {
    const comparison = { inputs: 8, maxAbsError: 0.2, tolerance: 0.01, argmaxAgreement: 1 }
    const error = refusal(() =>
      assertPrecisionMet({ comparison, precision: { maxAbsError: 0.19, target: 0.035 } }),
    )
    expect(error.code).toBe('PRECISION_NOT_MET')
    expect(error.details).toMatchObject({ maxAbsError: 0.19, target: 0.035, inputs: 8 })
    expect(() =>
      assertPrecisionMet({ comparison, precision: { maxAbsError: 0.01, target: 0.035 } }),
    ).not.toThrow()
  })
})
