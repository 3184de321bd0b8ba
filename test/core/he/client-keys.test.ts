import { inspect } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { InputLayout, OutputLayout } from '../../../core/card.ts'
import { createCkksContext, type CkksContext } from '../../../core/ckks/context.ts'
import { PrivinferError } from '../../../core/errors.ts'
import {
  ClientKeys,
  createClientKeys,
  decryptOutput,
  encryptInput,
  loadEvaluationKeys,
} from '../../../core/he/index.ts'
import { loadSeal, type SealModule } from '../../../core/seal/load.ts'
import { loadCiphertext, saveCiphertext } from '../../../core/wire/ciphertext.ts'
import { evaluatedTolerance, freshTolerance, N4096, N8192, thrownBy } from '../support/params.ts'

let seal: SealModule
let ctx: CkksContext
let keys: ClientKeys
const galoisSteps = [1, 4]

/** Input of 3 values replicated with period 4 over all 4096 slots. */
const inputLayout: InputLayout = {
  slotCount: 4096,
  inputSize: 3,
  blocks: Array.from({ length: 1024 }, (_, k) => ({ slotStart: 4 * k, length: 4, inputOffset: 0 })),
}

const codeOf = (fn: () => unknown) => (thrownBy(fn) as PrivinferError).code

beforeAll(async () => {
  seal = await loadSeal()
  ctx = createCkksContext(seal, N8192)
  keys = createClientKeys(ctx, { galoisSteps, relin: true })
})
afterAll(() => {
  keys.delete()
  ctx.delete()
})

describe('client round trip', () => {
  it('encrypts per the input layout and decrypts per the output layout (sum of copies)', () => {
    const x = [0.5, -1.25, 2]
    const encrypted = encryptInput(ctx, keys, inputLayout, x)
    expect(encrypted[5]).toBe(2) // zstd
    // The service side: validate, then return the ciphertext unchanged.
    const onServer = loadCiphertext(ctx, encrypted, { level: 3 })
    const returned = saveCiphertext(ctx, onServer, 'zstd')
    onServer.delete()
    const outputLayout: OutputLayout = {
      slotCount: 4096,
      outputSize: 3,
      offset: 0,
      period: 4,
      copies: 3,
    }
    const output = decryptOutput(ctx, keys, returned, outputLayout, 3)
    output.forEach((value, j) =>
      expect(Math.abs(value - 3 * x[j])).toBeLessThan(3 * freshTolerance(N8192)),
    )
  })

  it('evaluates with uploaded keys: rotation by a listed step, square and relinearization', () => {
    const bundle = keys.evaluationKeyBundle()
    expect(Object.keys(bundle).sort()).toEqual(['galoisKeys', 'relinKeys'])
    const evaluationKeys = loadEvaluationKeys(ctx, bundle, { galoisSteps, relin: true })
    const ciphertext = loadCiphertext(ctx, encryptInput(ctx, keys, inputLayout, [1, 2, 3]), {
      level: 3,
    })
    ctx.evaluator.rotateVectorInplace(ciphertext, 1, evaluationKeys.galoisKeys)
    ctx.evaluator.squareInplace(ciphertext)
    ctx.evaluator.relinearizeInplace(ciphertext, evaluationKeys.relinKeys!)
    ctx.evaluator.rescaleToNextInplace(ciphertext)
    const bytes = saveCiphertext(ctx, ciphertext, 'zstd')
    ciphertext.delete()
    evaluationKeys.delete()
    // Rotated left by 1: [2, 3, 0, 1] in each period, squared.
    const layout: OutputLayout = { slotCount: 4096, outputSize: 4, offset: 0, period: 4, copies: 1 }
    const output = decryptOutput(ctx, keys, bytes, layout, { level: 2, scale: null })
    ;[4, 9, 0, 1].forEach((expected, j) =>
      expect(Math.abs(output[j] - expected)).toBeLessThan(evaluatedTolerance(N8192)),
    )
  })

  it('rejects a result at another level than expected with CIPHERTEXT_WRONG_LEVEL', () => {
    const encrypted = encryptInput(ctx, keys, inputLayout, [1, 2, 3])
    const layout: OutputLayout = { slotCount: 4096, outputSize: 1, offset: 0, period: 4, copies: 1 }
    expect(codeOf(() => decryptOutput(ctx, keys, encrypted, layout, 0))).toBe(
      'CIPHERTEXT_WRONG_LEVEL',
    )
  })

  it('encrypts at a lower level on request', () => {
    const encrypted = encryptInput(ctx, keys, inputLayout, [1, 2, 3], { level: 1 })
    const layout: OutputLayout = { slotCount: 4096, outputSize: 3, offset: 0, period: 4, copies: 1 }
    const output = decryptOutput(ctx, keys, encrypted, layout, 1)
    ;[1, 2, 3].forEach((expected, j) =>
      expect(Math.abs(output[j] - expected)).toBeLessThan(freshTolerance(N8192)),
    )
  })

  it('rejects invalid inputs with INPUT_INVALID', () => {
    expect(codeOf(() => encryptInput(ctx, keys, inputLayout, [1, 2]))).toBe('INPUT_INVALID')
    expect(codeOf(() => encryptInput(ctx, keys, inputLayout, [1, 2, Number.NaN]))).toBe(
      'INPUT_INVALID',
    )
    // 1e40 · 2^36 ≈ 2^169 does not fit the 158-bit top-level modulus: SEAL's encoder refuses.
    expect(codeOf(() => encryptInput(ctx, keys, inputLayout, [1, 2, 1e40]))).toBe('INPUT_INVALID')
    expect(codeOf(() => keys.encrypt(new Float64Array(4097)))).toBe('INPUT_INVALID')
  })

  it('refuses keys of another context and layouts of another slot count', () => {
    const other = createCkksContext(seal, N4096)
    expect(() => encryptInput(other, keys, inputLayout, [1, 2, 3])).toThrow(/another CkksContext/)
    const smallLayout: InputLayout = {
      slotCount: 2048,
      inputSize: 1,
      blocks: [{ slotStart: 0, length: 1, inputOffset: 0 }],
    }
    expect(codeOf(() => encryptInput(ctx, keys, smallLayout, [1]))).toBe('INVALID_MODEL')
    other.delete()
  })
})

describe('loadEvaluationKeys', () => {
  it('requires relinearization keys when the model needs them', () => {
    const { galoisKeys } = keys.evaluationKeyBundle()
    expect(
      codeOf(() => loadEvaluationKeys(ctx, { galoisKeys }, { galoisSteps, relin: true })),
    ).toBe('KEYS_MALFORMED')
    loadEvaluationKeys(ctx, { galoisKeys }, { galoisSteps, relin: false }).delete()
  })

  it('rejects a bundle missing a step of the model with KEYS_MISSING_STEPS', () => {
    expect(
      codeOf(() =>
        loadEvaluationKeys(ctx, keys.evaluationKeyBundle(), { galoisSteps: [1, 2], relin: true }),
      ),
    ).toBe('KEYS_MISSING_STEPS')
  })
})

describe('the secret key stays inside ClientKeys', () => {
  it('has no property, getter or method exposing or serializing a secret key', () => {
    const names = [
      ...Object.getOwnPropertyNames(keys),
      ...Object.getOwnPropertyNames(ClientKeys.prototype),
    ]
    expect(names.filter((name) => /secret|sk\b|save|export|serial/i.test(name))).toEqual([
      'encryptSerialized', // returns an encrypted input, not a key
    ])
    for (const name of names) {
      const value = (keys as unknown as Record<string, unknown>)[name]
      expect(value instanceof (seal.SecretKey as unknown as new () => object)).toBe(false)
    }
  })

  it('prints and serializes to its public description only', () => {
    expect(JSON.parse(JSON.stringify(keys))).toEqual({
      kind: 'ClientKeys',
      galoisSteps: [1, 4],
      relin: true,
    })
    expect(inspect(keys)).toBe('ClientKeys { galoisSteps: [1, 4], relin: true }')
  })

  it('cannot be constructed without createClientKeys, and is unusable after delete()', () => {
    expect(
      () =>
        new (ClientKeys as unknown as new (...args: unknown[]) => ClientKeys)(
          ctx,
          { galoisSteps: [], relin: false },
          Symbol('x'),
        ),
    ).toThrow(TypeError)
    const scratch = createClientKeys(ctx, { galoisSteps: [], relin: false })
    scratch.delete()
    scratch.delete()
    expect(scratch.isDeleted).toBe(true)
    expect(() => scratch.encrypt([1])).toThrow(/after delete/)
    expect(() => scratch.evaluationKeyBundle()).toThrow(/after delete/)
  })
})
