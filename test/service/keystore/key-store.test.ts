import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FileKeyStore, MemoryKeyStore, type KeyStore } from '../../../service/keystore/index.ts'
import { isPrivinferError } from '../../../core/errors.ts'

const TTL_SECONDS = 60

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    if (isPrivinferError(error)) return error.code
    throw error
  }
  return 'no error'
}

let dir: string
let nowMs: number
const clock = () => nowMs

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'privinfer-keys-'))
  nowMs = Date.parse('2026-01-01T00:00:00Z')
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

const stores: Array<[string, () => Promise<KeyStore>]> = [
  [
    'FileKeyStore',
    async () => {
      const store = new FileKeyStore({ dir, ttlSeconds: TTL_SECONDS, now: clock })
      await store.init()
      return store
    },
  ],
  ['MemoryKeyStore', async () => new MemoryKeyStore({ ttlSeconds: TTL_SECONDS, now: clock })],
]

describe.each(stores)('%s', (_name, makeStore) => {
  const galoisKeys = Uint8Array.from([1, 2, 3, 4, 5])
  const relinKeys = Uint8Array.from([9, 8, 7])

  it('stores keys under an unguessable id and returns them with the model id and expiry', async () => {
    const store = await makeStore()
    const { keyId, expiresAt } = await store.put('mnist', { galoisKeys, relinKeys })
    expect(keyId).toMatch(/^[A-Za-z0-9_-]{32}$/)
    expect(Date.parse(expiresAt)).toBe(nowMs + TTL_SECONDS * 1000)
    const stored = await store.get(keyId)
    expect(stored.record.modelId).toBe('mnist')
    expect(stored.record.galoisKeyBytes).toBe(5)
    expect([...stored.keys.galoisKeys]).toEqual([1, 2, 3, 4, 5])
    expect([...(stored.keys.relinKeys ?? [])]).toEqual([9, 8, 7])
    const other = await store.put('mnist', { galoisKeys })
    expect(other.keyId).not.toBe(keyId)
    expect((await store.get(other.keyId)).keys.relinKeys).toBeUndefined()
  })

  it('answers KEY_NOT_FOUND for unknown, malformed and deleted ids', async () => {
    const store = await makeStore()
    const { keyId } = await store.put('m', { galoisKeys })
    expect(await codeOf(store.get('A'.repeat(32)))).toBe('KEY_NOT_FOUND')
    expect(await codeOf(store.get('../../etc/passwd'))).toBe('KEY_NOT_FOUND')
    await store.delete(keyId)
    expect(await codeOf(store.describe(keyId))).toBe('KEY_NOT_FOUND')
    expect(await codeOf(store.delete(keyId))).toBe('KEY_NOT_FOUND')
  })

  it('reports expired keys as KEY_EXPIRED once, then removes them', async () => {
    const store = await makeStore()
    const { keyId } = await store.put('m', { galoisKeys })
    nowMs += TTL_SECONDS * 1000
    expect(await codeOf(store.get(keyId))).toBe('KEY_EXPIRED')
    expect(await codeOf(store.get(keyId))).toBe('KEY_NOT_FOUND')
  })

  it('sweeps only expired keys', async () => {
    const store = await makeStore()
    const old = await store.put('m', { galoisKeys })
    nowMs += 30_000
    const fresh = await store.put('m', { galoisKeys })
    nowMs += 30_000
    expect(await store.sweepExpired()).toBe(1)
    expect(await codeOf(store.describe(old.keyId))).toBe('KEY_NOT_FOUND')
    expect((await store.describe(fresh.keyId)).modelId).toBe('m')
  })
})

describe('FileKeyStore on disk', () => {
  it('writes owner-only files and leaves no temporary folder behind', async () => {
    const store = new FileKeyStore({ dir, ttlSeconds: TTL_SECONDS })
    await store.init()
    const { keyId } = await store.put('m', {
      galoisKeys: Uint8Array.from([1]),
      relinKeys: Uint8Array.from([2]),
    })
    expect(await readdir(dir)).toEqual([keyId])
    expect(((await stat(join(dir, keyId))).mode & 0o777).toString(8)).toBe('700')
    for (const file of ['galois.bin', 'relin.bin', 'metadata.json']) {
      expect(((await stat(join(dir, keyId, file))).mode & 0o777).toString(8)).toBe('600')
    }
  })
})
