import { describe, expect, it } from 'vitest'
import {
  dataPrimeCount,
  describeParameterSet,
  MAX_COEFF_MODULUS_BITS,
  slotCountOf,
  topLevel,
  totalCoeffModulusBits,
  validateParameterSet,
  type ParameterSet,
} from '../../../core/ckks/parameter-set.ts'
import { N4096, N8192 } from '../support/params.ts'

const codesOf = (params: ParameterSet) =>
  validateParameterSet(params).map((problem) => problem.code)

describe('validateParameterSet', () => {
  it('accepts the N=8192 [50,36,36,36,50] scale 2^36 set and the N=4096 test set', () => {
    expect(validateParameterSet(N8192)).toEqual([])
    expect(validateParameterSet(N4096)).toEqual([])
  })

  it('pins the HE-standard 128-bit budgets', () => {
    expect(MAX_COEFF_MODULUS_BITS).toMatchObject({ 4096: 109, 8192: 218, 16384: 438, 32768: 881 })
  })

  it('accepts a modulus exactly at the budget and rejects one bit more as insecure', () => {
    expect(
      codesOf({ polyModulusDegree: 4096, coeffModulusBits: [36, 36, 37], scaleBits: 30 }),
    ).toEqual([])
    const problems = validateParameterSet({
      polyModulusDegree: 4096,
      coeffModulusBits: [36, 37, 37],
      scaleBits: 30,
    })
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatchObject({ code: 'BUDGET_EXCEEDED', insecure: true })
    expect(problems[0].message).toContain('110 bits exceeds 109')
  })

  it('rejects [60,60,60,60] at N=8192 (240 > 218 bits) as insecure', () => {
    const problems = validateParameterSet({
      polyModulusDegree: 8192,
      coeffModulusBits: [60, 60, 60, 60],
      scaleBits: 40,
    })
    expect(problems.filter((problem) => problem.insecure).map((problem) => problem.code)).toEqual([
      'BUDGET_EXCEEDED',
    ])
  })

  it('rejects a ring dimension that is not a power of two or outside the table', () => {
    expect(codesOf({ ...N8192, polyModulusDegree: 8000 })).toContain('DEGREE_NOT_POWER_OF_TWO')
    expect(codesOf({ ...N8192, polyModulusDegree: 65536 })).toContain('DEGREE_UNSUPPORTED')
    expect(codesOf({ ...N8192, polyModulusDegree: 512 })).toContain('DEGREE_UNSUPPORTED')
  })

  it('rejects prime sizes outside 20..60 bits or not integers', () => {
    for (const bits of [19, 61, 36.5, Number.NaN]) {
      expect(codesOf({ ...N8192, coeffModulusBits: [50, bits, 50] })).toContain(
        'PRIME_BITS_OUT_OF_RANGE',
      )
    }
  })

  it('needs at least one data prime besides the special prime', () => {
    expect(codesOf({ ...N8192, coeffModulusBits: [50] })).toEqual(['TOO_FEW_PRIMES'])
    expect(codesOf({ ...N8192, coeffModulusBits: [] })).toEqual(['TOO_FEW_PRIMES'])
  })

  it('rejects a special prime smaller than the largest data prime', () => {
    expect(codesOf({ ...N8192, coeffModulusBits: [50, 36, 36, 36, 49] })).toEqual([
      'SPECIAL_PRIME_TOO_SMALL',
    ])
  })

  it('rejects a scale without headroom below the first prime, and out-of-range scales', () => {
    expect(codesOf({ ...N8192, scaleBits: 50 })).toEqual(['SCALE_NOT_BELOW_FIRST_PRIME'])
    expect(codesOf({ ...N8192, scaleBits: 49 })).toEqual([])
    expect(codesOf({ ...N8192, scaleBits: 9 })).toEqual(['SCALE_OUT_OF_RANGE'])
    expect(codesOf({ ...N8192, scaleBits: 36.5 })).toEqual(['SCALE_OUT_OF_RANGE'])
  })

  it('reports every problem at once', () => {
    const codes = codesOf({
      polyModulusDegree: 8192,
      coeffModulusBits: [40, 60, 60, 60, 30],
      scaleBits: 45,
    })
    expect(codes).toEqual(
      expect.arrayContaining([
        'BUDGET_EXCEEDED',
        'SPECIAL_PRIME_TOO_SMALL',
        'SCALE_NOT_BELOW_FIRST_PRIME',
      ]),
    )
  })
})

describe('parameter-set arithmetic', () => {
  it('counts bits, data primes, levels and slots', () => {
    expect(totalCoeffModulusBits(N8192)).toBe(208)
    expect(dataPrimeCount(N8192)).toBe(4)
    expect(topLevel(N8192)).toBe(3)
    expect(slotCountOf(N8192)).toBe(4096)
    expect(describeParameterSet(N8192)).toBe('N=8192 [50,36,36,36,50] scale 2^36')
  })
})
