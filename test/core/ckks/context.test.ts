import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCkksContext, parmsIdKey, type CkksContext } from '../../../core/ckks/context.ts'
import { ParametersRejectedError } from '../../../core/ckks/errors.ts'
import { MAX_COEFF_MODULUS_BITS } from '../../../core/ckks/parameter-set.ts'
import { PrivinferError } from '../../../core/errors.ts'
import { loadSeal, type SealModule } from '../../../core/seal/load.ts'
import { N8192, N8192_OTHER, thrownBy } from '../support/params.ts'

let seal: SealModule
let ctx: CkksContext

beforeAll(async () => {
  seal = await loadSeal()
  ctx = createCkksContext(seal, N8192)
})
afterAll(() => ctx.delete())

describe('loadSeal', () => {
  it('loads node-seal once and returns the same module', async () => {
    expect(await loadSeal()).toBe(seal)
  })
})

describe('createCkksContext', () => {
  it("agrees with SEAL's 128-bit table for every N", () => {
    for (const [n, bits] of Object.entries(MAX_COEFF_MODULUS_BITS)) {
      expect(seal.CoeffModulus.MaxBitCount(Number(n), seal.SecLevelType.tc128)).toBe(bits)
    }
  })

  it('creates a 128-bit context with N/2 slots, scale 2^scaleBits and the data primes', () => {
    expect(ctx.context.parametersSet()).toBe(true)
    const firstData = ctx.context.firstContextData()
    const qualifiers = firstData.qualifiers()
    expect(qualifiers.securityLevel).toBe(seal.SecLevelType.tc128)
    qualifiers.delete()
    firstData.delete()
    expect(ctx.slotCount).toBe(4096)
    expect(ctx.scale).toBe(2 ** 36)
    expect(ctx.topLevel).toBe(3)
    expect(ctx.primes).toHaveLength(4)
    const twoN = BigInt(2 * N8192.polyModulusDegree)
    ctx.primeValues.forEach((prime, index) => {
      expect(prime.toString(2)).toHaveLength(N8192.coeffModulusBits[index])
      expect(prime % twoN).toBe(1n) // NTT-friendly
      expect(ctx.primes[index]).toBe(Number(prime))
    })
    expect(ctx.specialPrimeValue.toString(2)).toHaveLength(50)
    expect(new Set([...ctx.primeValues, ctx.specialPrimeValue]).size).toBe(5)
  })

  it('numbers levels by data primes left minus one, following SEAL chain indices', () => {
    const keys = [3, 2, 1, 0].map((level) => ctx.parmsIdKeyAtLevel(level))
    expect(new Set(keys).size).toBe(4)
    expect(keys).not.toContain(ctx.keyParmsIdKey)
    for (const level of [3, 2, 1, 0]) {
      const data = ctx.context.getContextData(ctx.parmsIdAtLevel(level))
      expect(data.chainIndex()).toBe(level)
      const parms = data.parms()
      const modulus = parms.coeffModulus()
      expect(modulus.size()).toBe(level + 1)
      modulus.delete()
      parms.delete()
      data.delete()
    }
    expect(() => ctx.parmsIdAtLevel(4)).toThrow(RangeError)
    expect(() => ctx.parmsIdAtLevel(-1)).toThrow(RangeError)
  })

  it('tracks the level of a plaintext as it is mod-switched down to level 0', () => {
    const plaintext = new seal.Plaintext()
    ctx.encoder.encode(Float64Array.from([1, 2, 3]), ctx.scale, plaintext)
    const levels = [ctx.levelOf(plaintext)]
    for (let step = 0; step < 3; step++) {
      ctx.evaluator.plainModSwitchToNextInplace(plaintext)
      levels.push(ctx.levelOf(plaintext))
    }
    plaintext.delete()
    expect(levels).toEqual([3, 2, 1, 0])
  })

  it('does not recognise objects of other parameters', () => {
    const other = createCkksContext(seal, N8192_OTHER)
    const plaintext = new seal.Plaintext()
    other.encoder.encode(Float64Array.from([1]), other.scale, plaintext)
    expect(ctx.findLevel(plaintext)).toBeUndefined()
    const error = thrownBy(() => ctx.levelOf(plaintext))
    expect(error).toBeInstanceOf(PrivinferError)
    expect((error as PrivinferError).code).toBe('CIPHERTEXT_WRONG_PARAMETERS')
    plaintext.delete()
    other.delete()
  })

  it("serializes the encryption parameters (base64, compression none) to SEAL's parms_id", () => {
    const parameters = new seal.EncryptionParameters(seal.SchemeType.ckks)
    parameters.loadFromBase64(ctx.encryptionParametersBase64())
    expect(parameters.polyModulusDegree()).toBe(8192)
    // The full parameter set's parms_id is the key level's.
    expect(parmsIdKey(parameters.parmsId(), true)).toBe(ctx.keyParmsIdKey)
    parameters.delete()
    // SEAL header byte 5: compression mode none.
    expect(Buffer.from(ctx.encryptionParametersBase64(), 'base64')[5]).toBe(0)
  })

  it('rejects over-budget parameters as PARAMETERS_INSECURE before SEAL sees them', () => {
    const error = thrownBy(() =>
      createCkksContext(seal, {
        polyModulusDegree: 8192,
        coeffModulusBits: [60, 40, 40, 40, 60],
        scaleBits: 40,
      }),
    )
    expect(error).toBeInstanceOf(ParametersRejectedError)
    expect((error as ParametersRejectedError).code).toBe('PARAMETERS_INSECURE')
    expect((error as ParametersRejectedError).problems.map((problem) => problem.code)).toEqual([
      'BUDGET_EXCEEDED',
    ])
  })

  it('rejects invalid parameters as PARAMETERS_INVALID, including ones only SEAL can refuse', () => {
    const invalid = thrownBy(() => createCkksContext(seal, { ...N8192, scaleBits: 50 }))
    expect((invalid as PrivinferError).code).toBe('PARAMETERS_INVALID')
    // 600 bits fit the N=32768 budget, but there are not thirty 20-bit primes = 1 mod 65536.
    const refused = thrownBy(() =>
      createCkksContext(seal, {
        polyModulusDegree: 32768,
        coeffModulusBits: Array(30).fill(20),
        scaleBits: 15,
      }),
    )
    expect((refused as PrivinferError).code).toBe('PARAMETERS_INVALID')
    expect((refused as Error).message).toContain('SEAL')
    expect((refused as ParametersRejectedError).problems[0].code).toBe('REFUSED_BY_SEAL')
  })

  it('deletes idempotently', () => {
    const scratch = createCkksContext(seal, N8192_OTHER)
    expect(scratch.isDeleted).toBe(false)
    scratch.delete()
    scratch.delete()
    expect(scratch.isDeleted).toBe(true)
  })
})
