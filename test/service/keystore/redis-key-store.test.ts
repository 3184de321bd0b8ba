/**
 * RedisKeyStore against a real redis-server: expiry done by Redis itself, fast failure while Redis is
 * down (KEY_STORE_UNAVAILABLE, no hang) and recovery once it is back, ids never stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Redis } from 'ioredis'
import { RedisKeyStore, keyIdDigest } from '../../../service/keystore/index.ts'
import { isPrivinferError } from '../../../core/errors.ts'
import { startTestRedis, type TestRedis } from '../../support/redis-server.ts'

let redis: TestRedis
let inspector: Redis

beforeAll(async () => {
  redis = await startTestRedis()
  inspector = new Redis(redis.url, { lazyConnect: true })
  await inspector.connect()
})
afterAll(async () => {
  inspector?.disconnect()
  await redis?.close()
})

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    if (isPrivinferError(error)) return error.code
    throw error
  }
  return 'no error'
}

describe('RedisKeyStore on a real redis-server', () => {
  it('lets Redis expire the keys (PX), then answers KEY_EXPIRED once and KEY_NOT_FOUND after', async () => {
    const store = new RedisKeyStore({ url: redis.url, ttlSeconds: 1, prefix: 'ttl:' })
    await store.init()
    try {
      const { keyId } = await store.put('m', { galoisKeys: Uint8Array.from([1, 2]) })
      const digest = keyIdDigest(keyId)
      const pttl = await inspector.pttl(`ttl:data:${digest}`)
      expect(pttl).toBeGreaterThan(0)
      expect(pttl).toBeLessThanOrEqual(1000)
      expect((await store.describe(keyId)).modelId).toBe('m')
      // Wait for Redis's own expiry (no clock of ours is involved).
      const deadline = Date.now() + 5000
      while ((await inspector.exists(`ttl:data:${digest}`)) === 1 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 100))
      expect(await inspector.exists(`ttl:data:${digest}`)).toBe(0)
      expect(await codeOf(store.get(keyId))).toBe('KEY_EXPIRED')
      expect(await codeOf(store.get(keyId))).toBe('KEY_NOT_FOUND')
      // The store-wide index forgets it too.
      expect(await store.sweepExpired()).toBe(1)
    } finally {
      await store.close()
    }
  })

  it('never writes a key id into Redis, as a name or a value', async () => {
    const store = new RedisKeyStore({ url: redis.url, ttlSeconds: 60, prefix: 'ids:' })
    await store.init()
    try {
      const { keyId } = await store.put('m', { galoisKeys: Uint8Array.from([7]) }, { owner: 'o' })
      const names = await inspector.keys('ids:*')
      expect(names.length).toBeGreaterThan(0)
      for (const name of names) {
        expect(name).not.toContain(keyId)
        const type = await inspector.type(name)
        const content =
          type === 'string'
            ? await inspector.get(name)
            : type === 'hash'
              ? JSON.stringify(await inspector.hgetall(name))
              : JSON.stringify(await inspector.zrange(name, '0', '-1'))
        expect(content).not.toContain(keyId)
      }
    } finally {
      await store.close()
    }
  })

  it('fails fast with KEY_STORE_UNAVAILABLE while Redis is down and serves again once it is back', async () => {
    const store = new RedisKeyStore({ url: redis.url, ttlSeconds: 60, prefix: 'restart:' })
    await store.init()
    try {
      const { keyId } = await store.put('m', { galoisKeys: Uint8Array.from([5, 6]) })
      await redis.stop()
      const started = performance.now()
      expect(await codeOf(store.describe(keyId))).toBe('KEY_STORE_UNAVAILABLE')
      expect(await codeOf(store.put('m', { galoisKeys: Uint8Array.from([1]) }))).toBe(
        'KEY_STORE_UNAVAILABLE',
      )
      expect(await codeOf(store.delete(keyId))).toBe('KEY_STORE_UNAVAILABLE')
      expect(performance.now() - started).toBeLessThan(5000)
      await redis.start()
      // The client reconnects in the background (at most 1 s between attempts).
      const deadline = Date.now() + 10_000
      let code = 'KEY_STORE_UNAVAILABLE'
      while (code === 'KEY_STORE_UNAVAILABLE' && Date.now() < deadline) {
        code = await codeOf(store.describe(keyId))
        if (code === 'KEY_STORE_UNAVAILABLE') await new Promise((r) => setTimeout(r, 100))
      }
      // The append-only file kept the keys across the restart.
      expect(code).toBe('no error')
      expect([...(await store.get(keyId)).keys.galoisKeys]).toEqual([5, 6])
    } finally {
      await store.close()
    }
  })

  it('starts while Redis is unreachable and connects once it comes up', async () => {
    await redis.stop()
    const store = new RedisKeyStore({ url: redis.url, ttlSeconds: 60, prefix: 'late:' })
    try {
      await store.init()
      expect(await codeOf(store.usage('o'))).toBe('KEY_STORE_UNAVAILABLE')
      await redis.start()
      const deadline = Date.now() + 10_000
      while (!store.connected && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 100))
      expect(await store.usage('o')).toEqual({ keySets: 0, keyBytes: 0 })
    } finally {
      await store.close()
    }
  })
})
