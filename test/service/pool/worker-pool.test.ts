import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCkksContext, type CkksContext } from '../../../core/ckks/context.ts'
import {
  createClientKeys,
  decryptOutput,
  encryptInput,
  type ClientKeys,
} from '../../../core/he/index.ts'
import { isPrivinferError } from '../../../core/errors.ts'
import { loadSeal } from '../../../core/seal/load.ts'
import { createPlainModel } from '../../../service/plain/onnx-runtime.ts'
import { WorkerPool } from '../../../service/pool/worker-pool.ts'
import type { StoredKeys } from '../../../service/keystore/key-store.ts'
import { randomInputs } from '../../support/onnx-fixtures.ts'
import { compileFixture, type CompiledFixture } from './compiled-fixture.ts'

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    if (isPrivinferError(error)) return error.code
    throw error
  }
  return 'no error'
}

let fixture: CompiledFixture
let pool: WorkerPool
let ctx: CkksContext
let keys: ClientKeys

beforeAll(async () => {
  fixture = compileFixture()
  pool = await WorkerPool.start({
    models: [{ card: fixture.card, compiled: fixture.compiled }],
    workers: 1,
    maxQueue: 4,
    keyCacheBytes: 64 * 2 ** 20,
  })
  ctx = createCkksContext(await loadSeal(), fixture.compiled.parameters)
  keys = createClientKeys(ctx, {
    galoisSteps: fixture.card.he.galoisSteps,
    relin: fixture.card.he.needsRelinKeys,
  })
})

afterAll(async () => {
  keys?.delete()
  ctx?.delete()
  await pool?.close()
})

function storedKeys(): StoredKeys {
  const bundle = keys.evaluationKeyBundle()
  return {
    record: {
      keyId: 'k',
      modelId: 'tiny',
      createdAt: '',
      expiresAt: '',
      galoisKeyBytes: 0,
      relinKeyBytes: 0,
      owner: 'test',
    },
    keys: {
      galoisKeys: bundle.galoisKeys.slice(),
      ...(bundle.relinKeys ? { relinKeys: bundle.relinKeys.slice() } : {}),
    },
  }
}

describe('WorkerPool', () => {
  it('validates good keys and rejects bytes that are not keys with KEYS_MALFORMED', async () => {
    await pool.validateKeys('tiny', storedKeys().keys)
    expect(
      await codeOf(
        pool.validateKeys('tiny', {
          galoisKeys: new Uint8Array(100),
          relinKeys: new Uint8Array(10),
        }),
      ),
    ).toBe('KEYS_MALFORMED')
  })

  it('runs queries in the worker, loading keys on a cache miss only, matching onnxruntime', async () => {
    const plain = await createPlainModel(fixture.onnx)
    const inputs = randomInputs(3, 16, 11, 0, 1)
    const expected = await plain.run(inputs)
    await plain.close()
    let keyLoads = 0
    const expiresAt = new Date(Date.now() + 60_000).toISOString()
    for (const [i, x] of inputs.entries()) {
      const encrypted = encryptInput(ctx, keys, fixture.card.input.layout, x, {
        level: fixture.card.he.inputLevel,
      })
      const output = await pool.infer({
        modelId: 'tiny',
        keyId: 'key-a',
        keyExpiresAt: expiresAt,
        input: encrypted,
        loadKeys: async () => {
          keyLoads++
          return storedKeys()
        },
      })
      const logits = decryptOutput(
        ctx,
        keys,
        output,
        fixture.card.output.layout,
        fixture.card.he.outputLevel,
      )
      const argmax = (v: ArrayLike<number>) => Array.from(v).indexOf(Math.max(...Array.from(v)))
      expect(argmax(logits)).toBe(argmax(expected[i]))
    }
    expect(keyLoads).toBe(1)
  })

  it('rejects garbage input with CIPHERTEXT_MALFORMED and a wrong level with CIPHERTEXT_WRONG_LEVEL', async () => {
    const request = (input: Uint8Array) => ({
      modelId: 'tiny',
      keyId: 'key-b',
      keyExpiresAt: new Date(Date.now() + 60_000).toISOString(),
      input,
      loadKeys: async () => storedKeys(),
    })
    expect(await codeOf(pool.infer(request(Uint8Array.from([1, 2, 3, 4]))))).toBe(
      'CIPHERTEXT_MALFORMED',
    )
    if (fixture.card.he.inputLevel > 0) {
      const low = encryptInput(ctx, keys, fixture.card.input.layout, new Float64Array(16), {
        level: fixture.card.he.inputLevel - 1,
      })
      expect(await codeOf(pool.infer(request(low)))).toBe('CIPHERTEXT_WRONG_LEVEL')
    }
  })
})

describe('WorkerPool key cache in bytes', () => {
  it('serves every query with keys larger than the cache, loading them each time', async () => {
    const uncaching = await WorkerPool.start({
      models: [{ card: fixture.card, compiled: fixture.compiled }],
      workers: 1,
      maxQueue: 4,
      keyCacheBytes: 0,
    })
    try {
      const plain = await createPlainModel(fixture.onnx)
      const inputs = randomInputs(3, 16, 12, 0, 1)
      const expected = await plain.run(inputs)
      await plain.close()
      let keyLoads = 0
      for (const [i, x] of inputs.entries()) {
        const output = await uncaching.infer({
          modelId: 'tiny',
          keyId: 'key-c',
          keyExpiresAt: new Date(Date.now() + 60_000).toISOString(),
          input: encryptInput(ctx, keys, fixture.card.input.layout, x, {
            level: fixture.card.he.inputLevel,
          }),
          loadKeys: async () => {
            keyLoads++
            return storedKeys()
          },
        })
        const logits = decryptOutput(
          ctx,
          keys,
          output,
          fixture.card.output.layout,
          fixture.card.he.outputLevel,
        )
        for (let j = 0; j < logits.length; j++) expect(logits[j]).toBeCloseTo(expected[i][j], 2)
      }
      expect(keyLoads).toBe(3)
    } finally {
      await uncaching.close()
    }
  })
})

describe('WorkerPool admission', () => {
  it('answers OVERLOADED beyond one running task per worker plus maxQueue', async () => {
    const small = await WorkerPool.start({
      models: [{ card: fixture.card, compiled: fixture.compiled }],
      workers: 1,
      maxQueue: 0,
      keyCacheBytes: 2 ** 20,
    })
    try {
      const results = await Promise.allSettled([
        small.validateKeys('tiny', storedKeys().keys),
        small.validateKeys('tiny', storedKeys().keys),
      ])
      expect(results[0].status).toBe('fulfilled')
      expect(
        results[1].status === 'rejected' &&
          isPrivinferError(results[1].reason) &&
          results[1].reason.code,
      ).toBe('OVERLOADED')
      // Once the first finished, there is room again.
      await small.validateKeys('tiny', storedKeys().keys)
    } finally {
      await small.close()
    }
  })
})
