/**
 * Abuse resistance at the HTTP edge: per-client key quotas (per token, else per address), the
 * store's total bound, a per-key query rate limit, Retry-After that matches the window,
 * X-Forwarded-For only with TRUST_PROXY, client addresses in the logs (never ids or payloads), and
 * deletes accepted while the service is not ready.
 */
import { describe, expect, it } from 'vitest'
import request from 'supertest'
import pino from 'pino'
import { Writable } from 'node:stream'
import { MemoryKeyStore } from '../../../service/keystore/memory-key-store.ts'
import { GOOD_CIPHERTEXT, GOOD_KEYS, buildTestApp } from './fakes.ts'
import { expectProblem } from './expect-problem.ts'

const buffer = (bytes: Uint8Array) => Buffer.from(bytes)
const quotaStore = (sets: number, totalBytes = 0) =>
  new MemoryKeyStore({
    ttlSeconds: 60,
    quota: { maxKeySetsPerClient: sets, maxKeyBytesPerClient: 0, maxTotalKeyBytes: totalBytes },
  })

function upload(app: Parameters<typeof request>[0], headers: Record<string, string> = {}) {
  let call = request(app).post('/v1/keys')
  for (const [name, value] of Object.entries(headers)) call = call.set(name, value)
  return call.field('modelId', 'beta').attach('galoisKeys', buffer(GOOD_KEYS), 'g')
}

describe('key quotas', () => {
  it('answers 429 KEY_QUOTA_EXCEEDED past a client’s live key sets, before validating, while other clients are served', async () => {
    const { app, executor } = buildTestApp({
      keyStore: quotaStore(2),
      keyQuotaSets: 2,
      trustProxyHops: 1,
    })
    const alice = { 'X-Forwarded-For': '198.51.100.1' }
    const bob = { 'X-Forwarded-For': '198.51.100.2' }
    const first = await upload(app, alice)
    expect(first.status).toBe(201)
    expect((await upload(app, alice)).status).toBe(201)
    const third = await upload(app, alice)
    expectProblem(third, 429, 'KEY_QUOTA_EXCEEDED')
    expect(third.body).toMatchObject({ limit: 'keySets', used: 2, max: 2 })
    expect(executor.validated).toBe(2)
    expect((await upload(app, bob)).status).toBe(201)
    // Deleting one gives the quota back.
    expect((await request(app).delete(`/v1/keys/${first.body.keyId}`)).status).toBe(204)
    expect((await upload(app, alice)).status).toBe(201)
  })

  it('counts a token as one client, whatever address it comes from', async () => {
    const tokens = ['token-of-client-one', 'token-of-client-two']
    const { app } = buildTestApp({
      keyStore: quotaStore(1),
      keyQuotaSets: 1,
      authTokens: tokens,
      trustProxyHops: 1,
    })
    const one = (address: string) => ({
      Authorization: `Bearer ${tokens[0]}`,
      'X-Forwarded-For': address,
    })
    expect((await upload(app, one('198.51.100.1'))).status).toBe(201)
    expectProblem(await upload(app, one('198.51.100.9')), 429, 'KEY_QUOTA_EXCEEDED')
    const two = { Authorization: `Bearer ${tokens[1]}`, 'X-Forwarded-For': '198.51.100.1' }
    expect((await upload(app, two)).status).toBe(201)
  })

  it('ignores X-Forwarded-For unless TRUST_PROXY says so', async () => {
    const { app } = buildTestApp({ keyStore: quotaStore(1), keyQuotaSets: 1 })
    expect((await upload(app, { 'X-Forwarded-For': '198.51.100.1' })).status).toBe(201)
    // A forged header does not make a new client: the peer address is the client.
    expectProblem(
      await upload(app, { 'X-Forwarded-For': '198.51.100.2' }),
      429,
      'KEY_QUOTA_EXCEEDED',
    )
  })

  it('answers 507 KEY_STORAGE_FULL when the store’s total bound is reached', async () => {
    const { app } = buildTestApp({
      keyStore: quotaStore(0, GOOD_KEYS.length * 2),
      trustProxyHops: 1,
    })
    expect((await upload(app, { 'X-Forwarded-For': '198.51.100.1' })).status).toBe(201)
    expect((await upload(app, { 'X-Forwarded-For': '198.51.100.2' })).status).toBe(201)
    const full = await upload(app, { 'X-Forwarded-For': '198.51.100.3' })
    expectProblem(full, 507, 'KEY_STORAGE_FULL')
    expect(full.headers['retry-after']).toBe('60')
  })
})

describe('rate limits', () => {
  it('sends Retry-After matching the client’s window, and RateLimit headers', async () => {
    const { app } = buildTestApp({ rateLimitMax: 2, rateLimitWindowMs: 30_000 })
    const ok = await request(app).get('/v1/models')
    expect(ok.headers['ratelimit-policy']).toBe('"default";q=2;w=30')
    await request(app).get('/v1/models')
    const limited = await request(app).get('/v1/models')
    expectProblem(limited, 429, 'RATE_LIMITED')
    const retryAfter = Number(limited.headers['retry-after'])
    expect(retryAfter).toBeGreaterThan(25)
    expect(retryAfter).toBeLessThanOrEqual(30)
    expect(limited.body.retryAfterSeconds).toBe(retryAfter)
  })

  it('limits queries per key id, whichever client sends them', async () => {
    const { app, executor } = buildTestApp({
      keyRateLimitMax: 2,
      rateLimitWindowMs: 10_000,
      trustProxyHops: 1,
    })
    const { keyId } = (await upload(app)).body as { keyId: string }
    const query = (address: string) =>
      request(app)
        .post('/v1/models/beta/infer')
        .set('X-Forwarded-For', address)
        .field('keyId', keyId)
        .attach('input', buffer(GOOD_CIPHERTEXT), 'input')
    expect((await query('198.51.100.1')).status).toBe(200)
    expect((await query('198.51.100.2')).status).toBe(200)
    const limited = await query('198.51.100.3')
    expectProblem(limited, 429, 'RATE_LIMITED')
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(10)
    expect(limited.body.detail).toContain('this key id')
    expect(executor.inferred).toBe(2)
    // Another key set is not affected.
    const other = (await upload(app)).body as { keyId: string }
    const response = await request(app)
      .post('/v1/models/beta/infer')
      .field('keyId', other.keyId)
      .attach('input', buffer(GOOD_CIPHERTEXT), 'input')
    expect(response.status).toBe(200)
  })
})

describe('shutdown and logs', () => {
  it('accepts a delete while the service is not ready, and refuses other routes', async () => {
    const { app, state } = buildTestApp()
    const { keyId } = (await upload(app)).body as { keyId: string }
    state.ready = false
    expectProblem(await upload(app), 503, 'NOT_READY')
    expect((await request(app).delete(`/v1/keys/${keyId}`)).status).toBe(204)
    expectProblem(await request(app).delete(`/v1/keys/${keyId}`), 404, 'KEY_NOT_FOUND')
  })

  it('logs the client address of each request, never key ids, tokens or payloads', async () => {
    const lines: string[] = []
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString().trim().split('\n'))
        done()
      },
    })
    const token = 'token-that-must-not-be-logged'
    const { app } = buildTestApp({
      logger: pino({ level: 'info' }, sink),
      trustProxyHops: 1,
      authTokens: [token],
    })
    const stored = await upload(app, {
      'X-Forwarded-For': '203.0.113.7',
      Authorization: `Bearer ${token}`,
    })
    const keyId = stored.body.keyId as string
    await request(app)
      .delete(`/v1/keys/${keyId}`)
      .set('Authorization', `Bearer ${token}`)
      .set('X-Forwarded-For', '203.0.113.8')
    const requests = lines
      .map((line) => JSON.parse(line))
      .filter((entry) => entry.msg === 'request')
    expect(requests.map((entry) => entry.clientAddress)).toEqual(['203.0.113.7', '203.0.113.8'])
    const all = lines.join('\n')
    expect(all).not.toContain(keyId)
    expect(all).not.toContain(token)
  })
})
