import { inspect } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCkksContext, type CkksContext } from '../../../core/ckks/context.ts'
import {
  createClientKeys,
  exportSecretKeyForLocalStorage,
  LocalSecretKeyError,
  localSecretKeyFromStorage,
  restoreClientKeys,
  type ClientKeys,
  type LocalSecretKey,
} from '../../../core/he/index.ts'
import { loadSeal, type SealModule } from '../../../core/seal/load.ts'
import type { ServiceApi } from '../../../client/service-api.ts'
import { freshTolerance, N4096, N8192, N8192_OTHER, thrownBy } from '../support/params.ts'

let seal: SealModule
let ctx: CkksContext
let original: ClientKeys
let stored: LocalSecretKey
const options = { galoisSteps: [1, 2], relin: true }
const values = [0.25, -1.5, 3, 0.125]

beforeAll(async () => {
  seal = await loadSeal()
  ctx = createCkksContext(seal, N4096)
  original = createClientKeys(ctx, options)
  stored = exportSecretKeyForLocalStorage(original)
})
afterAll(() => {
  original.delete()
  ctx.delete()
})

describe('exportSecretKeyForLocalStorage / restoreClientKeys', () => {
  it('restored keys decrypt what the original encrypted, and the other way round', () => {
    const restored = restoreClientKeys(
      ctx,
      localSecretKeyFromStorage(stored.bytesForLocalFile(), stored.parametersId),
      options,
    )
    try {
      for (const [from, to] of [
        [original, restored],
        [restored, original],
      ]) {
        const ciphertext = from.encrypt(values)
        const decrypted = to.decrypt(ciphertext)
        ciphertext.delete()
        values.forEach((x, i) =>
          expect(Math.abs(decrypted[i] - x)).toBeLessThan(freshTolerance(N4096)),
        )
      }
      expect(restored.galoisSteps).toEqual([1, 2])
      expect(restored.evaluationKeyBundle().relinKeys).toBeDefined()
    } finally {
      restored.delete()
    }
  })

  it('fresh keys do not decrypt it (the restored key is the stored one, not a new one)', () => {
    const other = createClientKeys(ctx, options)
    const ciphertext = original.encrypt(values)
    const decrypted = other.decrypt(ciphertext)
    ciphertext.delete()
    other.delete()
    expect(Math.abs(decrypted[0] - values[0])).toBeGreaterThan(1)
  })

  it('records the key-level parms_id of its parameters and shows no key material', () => {
    expect(stored.parametersId).toBe(ctx.keyParmsIdKey)
    expect(stored.byteLength).toBeGreaterThan(1000)
    const json = JSON.stringify(stored)
    expect(JSON.parse(json)).toEqual({
      kind: 'LocalSecretKey',
      parametersId: ctx.keyParmsIdKey,
      byteLength: stored.byteLength,
    })
    expect(inspect(stored)).not.toMatch(/\d+, \d+, \d+/)
    expect(Object.keys(stored)).toEqual(['parametersId'])
    // ClientKeys still describe themselves without the key.
    expect(JSON.stringify(original)).toBe('{"kind":"ClientKeys","galoisSteps":[1,2],"relin":true}')
  })

  it('bytesForLocalFile returns a copy', () => {
    const copy = stored.bytesForLocalFile()
    copy.fill(0)
    expect(stored.bytesForLocalFile().some((b) => b !== 0)).toBe(true)
  })

  it('rejects a key made under other parameters (recorded id, and SEAL itself for a forged id)', () => {
    const otherCtx = createCkksContext(seal, N8192_OTHER)
    const mainCtx = createCkksContext(seal, N8192)
    const otherKeys = createClientKeys(otherCtx, options)
    try {
      const foreign = exportSecretKeyForLocalStorage(otherKeys)
      const error = thrownBy(() => restoreClientKeys(mainCtx, foreign, options))
      expect(error).toBeInstanceOf(LocalSecretKeyError)
      expect((error as LocalSecretKeyError).code).toBe('KEYS_WRONG_PARAMETERS')
      // Same bytes claiming the right parameters: SEAL's load refuses them.
      const forged = localSecretKeyFromStorage(foreign.bytesForLocalFile(), mainCtx.keyParmsIdKey)
      const sealError = thrownBy(() => restoreClientKeys(mainCtx, forged, options))
      expect(sealError).toBeInstanceOf(LocalSecretKeyError)
      expect((sealError as LocalSecretKeyError).code).toBe('KEYS_MALFORMED')
    } finally {
      otherKeys.delete()
      otherCtx.delete()
      mainCtx.delete()
    }
  })

  it('rejects corrupt bytes and bad ids with typed errors', () => {
    const truncated = localSecretKeyFromStorage(
      stored.bytesForLocalFile().subarray(0, 100),
      stored.parametersId,
    )
    expect(
      (thrownBy(() => restoreClientKeys(ctx, truncated, options)) as LocalSecretKeyError).code,
    ).toBe('KEYS_MALFORMED')
    expect(
      thrownBy(() => localSecretKeyFromStorage(new Uint8Array(0), stored.parametersId)),
    ).toBeInstanceOf(LocalSecretKeyError)
    expect(
      thrownBy(() => localSecretKeyFromStorage(stored.bytesForLocalFile(), 'not-hex')),
    ).toBeInstanceOf(LocalSecretKeyError)
  })

  it('cannot be passed to the service API (type level)', () => {
    const api = { uploadKeys: () => undefined, infer: () => undefined } as unknown as ServiceApi
    const send = () => {
      // @ts-expect-error a LocalSecretKey is not an EvaluationKeyBundle
      void api.uploadKeys('m', stored)
      // @ts-expect-error a LocalSecretKey is not an EncryptedInput
      void api.infer('m', 'k', stored)
      // @ts-expect-error nor are its bytes
      void api.infer('m', 'k', stored.bytesForLocalFile())
      // @ts-expect-error nor an upload bundle
      void api.uploadKeys('m', { galoisKeys: stored.bytesForLocalFile() })
    }
    expect(typeof send).toBe('function')
  })
})
