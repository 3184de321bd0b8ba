import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  FileKeyStore,
  MemoryKeyStore,
  RedisKeyStore,
  keyIdDigest,
  newKeyId,
  ownerDigest,
  UNLIMITED_QUOTA,
  type KeyQuota,
  type KeyStore,
} from '../../../service/keystore/index.ts'
import { isPrivinferError } from '../../../core/errors.ts'
import { startTestRedis, type TestRedis } from '../../support/redis-server.ts'

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
let redis: TestRedis
const opened: KeyStore[] = []
let redisPrefix = 0

beforeAll(async () => {
  redis = await startTestRedis()
})
afterAll(async () => {
  await redis?.close()
})
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'privinfer-keys-'))
  nowMs = Date.parse('2026-01-01T00:00:00Z')
})
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close()
  await rm(dir, { recursive: true, force: true })
})

type MakeStore = (quota?: KeyQuota) => Promise<KeyStore>

const fileStore: MakeStore = async (quota) => {
  const store = new FileKeyStore({ dir, ttlSeconds: TTL_SECONDS, now: clock, quota })
  await store.init()
  return store
}
const memoryStore: MakeStore = async (quota) =>
  new MemoryKeyStore({ ttlSeconds: TTL_SECONDS, now: clock, quota })
const redisStore: MakeStore = async (quota) => {
  // A prefix per store: the tests share one redis-server.
  const store = new RedisKeyStore({
    url: redis.url,
    ttlSeconds: TTL_SECONDS,
    quota,
    prefix: `test${++redisPrefix}:`,
  })
  await store.init()
  opened.push(store)
  return store
}

describe.each([
  ['FileKeyStore', fileStore],
  ['MemoryKeyStore', memoryStore],
  ['RedisKeyStore', redisStore],
] as Array<[string, MakeStore]>)('%s', (_name, makeStore) => {
  const galoisKeys = Uint8Array.from([1, 2, 3, 4, 5])
  const relinKeys = Uint8Array.from([9, 8, 7])

  it('stores keys under an unguessable id and returns them with the model id and expiry', async () => {
    const store = await makeStore()
    const { keyId, expiresAt } = await store.put('mnist', { galoisKeys, relinKeys })
    expect(keyId).toMatch(/^[A-Za-z0-9_-]{32}$/)
    expect(Date.parse(expiresAt)).toBeGreaterThan(Date.parse(expiresAt) - TTL_SECONDS * 1000)
    const stored = await store.get(keyId)
    expect(stored.record.keyId).toBe(keyId)
    expect(stored.record.modelId).toBe('mnist')
    expect(stored.record.galoisKeyBytes).toBe(5)
    expect([...stored.keys.galoisKeys]).toEqual([1, 2, 3, 4, 5])
    expect([...(stored.keys.relinKeys ?? [])]).toEqual([9, 8, 7])
    // The bytes come in buffers of their own (the pool transfers them to a worker).
    expect(stored.keys.galoisKeys.buffer.byteLength).toBe(5)
    const other = await store.put('mnist', { galoisKeys })
    expect(other.keyId).not.toBe(keyId)
    expect((await store.get(other.keyId)).keys.relinKeys).toBeUndefined()
  })

  it('stores a public key (noise flooding) with its bytes counted in the record and the quota', async () => {
    const store = await makeStore({ ...UNLIMITED_QUOTA, maxKeyBytesPerClient: 12 })
    const publicKey = Uint8Array.from([6, 6, 6, 6])
    const { keyId } = await store.put('m', { galoisKeys, relinKeys, publicKey }, { owner: 'o' })
    const stored = await store.get(keyId)
    expect([...(stored.keys.publicKey ?? [])]).toEqual([6, 6, 6, 6])
    expect(stored.record.publicKeyBytes).toBe(4)
    expect(await store.usage('o')).toEqual({ keySets: 1, keyBytes: 12 })
    await expect(
      store.put('m', { galoisKeys: Uint8Array.from([1]) }, { owner: 'o' }),
    ).rejects.toMatchObject({
      code: 'KEY_QUOTA_EXCEEDED',
    })
    await store.delete(keyId)
    expect(await store.usage('o')).toEqual({ keySets: 0, keyBytes: 0 })
    expect((await store.put('m', { galoisKeys })).keyId).toBeTruthy()
  })

  it('keeps binary values intact, every byte value included', async () => {
    const store = await makeStore()
    const bytes = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 151) & 0xff)
    const { keyId } = await store.put('m', { galoisKeys: bytes, relinKeys: bytes.slice(0, 256) })
    const stored = await store.get(keyId)
    expect(Buffer.compare(Buffer.from(stored.keys.galoisKeys), Buffer.from(bytes))).toBe(0)
    expect(
      Buffer.compare(Buffer.from(stored.keys.relinKeys!), Buffer.from(bytes.slice(0, 256))),
    ).toBe(0)
  })

  it('answers KEY_NOT_FOUND for unknown, malformed and deleted ids', async () => {
    const store = await makeStore()
    const { keyId } = await store.put('m', { galoisKeys })
    expect(await codeOf(store.get('A'.repeat(32)))).toBe('KEY_NOT_FOUND')
    expect(await codeOf(store.get('../../etc/passwd'))).toBe('KEY_NOT_FOUND')
    await store.delete(keyId)
    expect(await codeOf(store.describe(keyId))).toBe('KEY_NOT_FOUND')
    expect(await codeOf(store.get(keyId))).toBe('KEY_NOT_FOUND')
    expect(await codeOf(store.delete(keyId))).toBe('KEY_NOT_FOUND')
  })

  it('limits live key sets per owner with KEY_QUOTA_EXCEEDED while another owner is still served', async () => {
    const store = await makeStore({
      maxKeySetsPerClient: 2,
      maxKeyBytesPerClient: 0,
      maxTotalKeyBytes: 0,
    })
    const alice = ownerDigest('ip:10.0.0.1')
    const bob = ownerDigest('ip:10.0.0.2')
    const first = await store.put('m', { galoisKeys }, { owner: alice })
    await store.put('m', { galoisKeys }, { owner: alice })
    expect(await store.usage(alice)).toEqual({ keySets: 2, keyBytes: 10 })
    expect(await codeOf(store.put('m', { galoisKeys }, { owner: alice }))).toBe(
      'KEY_QUOTA_EXCEEDED',
    )
    expect((await store.put('m', { galoisKeys }, { owner: bob })).keyId).toMatch(/^[\w-]{32}$/)
    // A delete gives the quota back at once.
    await store.delete(first.keyId)
    expect(await store.usage(alice)).toEqual({ keySets: 1, keyBytes: 5 })
    await store.put('m', { galoisKeys }, { owner: alice })
  })

  it('limits key bytes per owner and the total with KEY_QUOTA_EXCEEDED and KEY_STORAGE_FULL', async () => {
    const store = await makeStore({
      maxKeySetsPerClient: 0,
      maxKeyBytesPerClient: 12,
      maxTotalKeyBytes: 20,
    })
    const owners = ['a', 'b', 'c'].map((name) => ownerDigest(`token:${name}`))
    await store.put('m', { galoisKeys, relinKeys }, { owner: owners[0] }) // 8 bytes
    const tooMany = store.put('m', { galoisKeys }, { owner: owners[0] }) // 8 + 5 > 12
    expect(await codeOf(tooMany)).toBe('KEY_QUOTA_EXCEEDED')
    await store.put('m', { galoisKeys, relinKeys }, { owner: owners[1] }) // total 16
    expect(await codeOf(store.put('m', { galoisKeys }, { owner: owners[2] }))).toBe(
      'KEY_STORAGE_FULL',
    )
    expect((await store.usage(owners[2])).keySets).toBe(0)
  })
})

describe.each([
  ['FileKeyStore', fileStore],
  ['MemoryKeyStore', memoryStore],
] as Array<[string, MakeStore]>)('%s with a clock', (_name, makeStore) => {
  const galoisKeys = Uint8Array.from([1, 2, 3])

  it('reports expired keys as KEY_EXPIRED once, then removes them', async () => {
    const store = await makeStore()
    const { keyId } = await store.put('m', { galoisKeys })
    nowMs += TTL_SECONDS * 1000
    expect(await codeOf(store.get(keyId))).toBe('KEY_EXPIRED')
    expect(await codeOf(store.get(keyId))).toBe('KEY_NOT_FOUND')
  })

  it('sweeps only expired keys, and expired keys no longer count against the quota', async () => {
    const store = await makeStore({
      maxKeySetsPerClient: 1,
      maxKeyBytesPerClient: 0,
      maxTotalKeyBytes: 0,
    })
    const old = await store.put('m', { galoisKeys })
    nowMs += TTL_SECONDS * 1000
    const fresh = await store.put('m', { galoisKeys })
    expect(await store.sweepExpired()).toBe(1)
    expect(await codeOf(store.describe(old.keyId))).toBe('KEY_NOT_FOUND')
    expect((await store.describe(fresh.keyId)).modelId).toBe('m')
  })
})

describe('FileKeyStore on disk', () => {
  it('makes keys/ owner-only, files 0600, and names nothing after a key id', async () => {
    await writeFile(join(dir, 'README.md'), 'kept')
    const { chmod } = await import('node:fs/promises')
    await chmod(dir, 0o755)
    const store = new FileKeyStore({ dir, ttlSeconds: TTL_SECONDS })
    await store.init()
    expect(((await stat(dir)).mode & 0o777).toString(8)).toBe('700')
    const { keyId } = await store.put('m', {
      galoisKeys: Uint8Array.from([1]),
      relinKeys: Uint8Array.from([2]),
    })
    const names = (await readdir(dir)).filter((name) => name !== 'README.md')
    expect(names).toEqual([keyIdDigest(keyId)])
    expect(((await stat(join(dir, names[0]))).mode & 0o777).toString(8)).toBe('700')
    for (const file of ['galois.bin', 'relin.bin', 'metadata.json']) {
      expect(((await stat(join(dir, names[0], file))).mode & 0o777).toString(8)).toBe('600')
    }
    // The id appears in no file name and no content.
    const metadata = await readFile(join(dir, names[0], 'metadata.json'), 'utf8')
    expect(metadata).not.toContain(keyId)
    expect(names.join('')).not.toContain(keyId)
  })

  it('removes folders of the older layout that were named by key id', async () => {
    const legacy = join(dir, newKeyId())
    await mkdir(legacy)
    await writeFile(join(legacy, 'metadata.json'), '{}')
    const store = new FileKeyStore({ dir, ttlSeconds: TTL_SECONDS })
    await store.init()
    expect(await readdir(dir)).toEqual([])
  })

  it('reads the quota ledger back at start-up', async () => {
    const quota = { maxKeySetsPerClient: 1, maxKeyBytesPerClient: 0, maxTotalKeyBytes: 0 }
    const first = new FileKeyStore({ dir, ttlSeconds: TTL_SECONDS, quota })
    await first.init()
    await first.put('m', { galoisKeys: Uint8Array.from([1]) }, { owner: 'o' })
    const restarted = new FileKeyStore({ dir, ttlSeconds: TTL_SECONDS, quota })
    await restarted.init()
    expect(
      await codeOf(restarted.put('m', { galoisKeys: Uint8Array.from([1]) }, { owner: 'o' })),
    ).toBe('KEY_QUOTA_EXCEEDED')
  })
})
