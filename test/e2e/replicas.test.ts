/**
 * Two service replicas sharing one real redis-server (KEY_STORE=redis://...): keys uploaded through
 * A serve queries on B, a delete through B is refused by A at once (although A's worker still has
 * the key set cached), and a Redis restart gives a clear 503 KEY_STORE_UNAVAILABLE within seconds,
 * then service again. A tiny fixture model keeps the SEAL work small.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { PrivinferClient } from '../../client/index.ts'
import { ServiceApi } from '../../client/service-api.ts'
import { createCkksContext, type CkksContext } from '../../core/ckks/context.ts'
import { isPrivinferError } from '../../core/errors.ts'
import {
  createClientKeys,
  decryptOutput,
  encryptInput,
  type ClientKeys,
} from '../../core/he/index.ts'
import { loadSeal } from '../../core/seal/load.ts'
import { loadConfig } from '../../service/config.ts'
import { startService, type RunningService } from '../../service/main.ts'
import { writeModelDirectory } from '../../service/models/index.ts'
import { createPlainModel } from '../../service/plain/onnx-runtime.ts'
import { compileFixture, type CompiledFixture } from '../service/pool/compiled-fixture.ts'
import { randomInputs } from '../support/onnx-fixtures.ts'
import { startTestRedis, type TestRedis } from '../support/redis-server.ts'

/** Two clients: each token is one client for the quotas, on every replica. */
const TOKENS = ['first-client-token-0001', 'second-client-token-002']
let root: string
let redis: TestRedis
let fixture: CompiledFixture
const replicas: RunningService[] = []
let ctx: CkksContext
let keys: ClientKeys

async function startReplica(name: string): Promise<RunningService> {
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    MODELS_DIR: join(root, 'models'),
    KEYS_DIR: join(root, `unused-keys-${name}`),
    KEY_STORE: redis.url,
    AUTH_TOKEN: TOKENS.join(','),
    KEY_QUOTA_SETS: '2',
    WORKERS: '1',
    RATE_LIMIT_MAX: '0',
    // The test model has no DP card: served only with the operator's opt-in.
    SERVE_NON_PRIVATE_MODELS: 'true',
    LOG_LEVEL: 'silent',
  })
  const service = await startService(config, pino({ level: 'silent' }))
  await service.ready
  replicas.push(service)
  return service
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'privinfer-replicas-'))
  redis = await startTestRedis()
  fixture = compileFixture('tiny')
  await writeModelDirectory(join(root, 'models', 'tiny'), {
    onnxBytes: fixture.onnx,
    card: fixture.card,
    compiled: fixture.compiled,
  })
  await startReplica('a')
  await startReplica('b')
  ctx = createCkksContext(await loadSeal(), fixture.compiled.parameters)
  keys = createClientKeys(ctx, {
    galoisSteps: fixture.card.he.galoisSteps,
    relin: fixture.card.he.needsRelinKeys,
  })
})

afterAll(async () => {
  keys?.delete()
  ctx?.delete()
  for (const replica of replicas) await replica.close()
  await redis?.close()
  if (root) await rm(root, { recursive: true, force: true })
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

describe('replicas on a shared Redis key store', () => {
  it('uploads on A, infers on B (same result as onnxruntime), deletes on B, and A refuses at once', async () => {
    const [a, b] = replicas.map(
      (replica) => new ServiceApi({ baseUrl: replica.url, token: TOKENS[0] }),
    )
    const card = await a.getModel('tiny')
    const input = randomInputs(1, 16, 7)[0]
    const encrypted = () =>
      encryptInput(ctx, keys, card.input.layout, input, { level: card.he.inputLevel })
    const { keyId } = await a.uploadKeys('tiny', keys.evaluationKeyBundle())

    const plain = await createPlainModel(fixture.onnx)
    const [expected] = await plain.run([input])
    await plain.close()
    for (const api of [b, a]) {
      const logits = decryptOutput(
        ctx,
        keys,
        await api.infer('tiny', keyId, encrypted()),
        card.output.layout,
        card.he.outputLevel,
      )
      for (let j = 0; j < expected.length; j++) expect(logits[j]).toBeCloseTo(expected[j], 2)
    }
    // Both workers now hold the key set in their caches; the store decides.
    await b.deleteKeys(keyId)
    expect(await codeOf(a.infer('tiny', keyId, encrypted()))).toBe('KEY_NOT_FOUND')
    expect(await codeOf(b.infer('tiny', keyId, encrypted()))).toBe('KEY_NOT_FOUND')
    expect(await codeOf(a.deleteKeys(keyId))).toBe('KEY_NOT_FOUND')
  })

  it('answers 503 KEY_STORE_UNAVAILABLE within seconds while Redis is down, and serves again once it is back', async () => {
    // No client retries here: the service's own answer is under test.
    const a = new ServiceApi({ baseUrl: replicas[0].url, token: TOKENS[0], retry: { attempts: 1 } })
    const card = await a.getModel('tiny')
    const input = randomInputs(1, 16, 8)[0]
    const encrypted = () =>
      encryptInput(ctx, keys, card.input.layout, input, { level: card.he.inputLevel })
    const { keyId } = await a.uploadKeys('tiny', keys.evaluationKeyBundle())
    await a.infer('tiny', keyId, encrypted())

    await redis.stop()
    try {
      const started = performance.now()
      const response = await fetch(`${replicas[1].url}/v1/keys/${keyId}`, {
        method: 'DELETE',
        headers: { Authorization: `Bearer ${TOKENS[0]}` },
      })
      expect(response.status).toBe(503)
      expect(response.headers.get('content-type')).toContain('application/problem+json')
      expect(response.headers.get('retry-after')).toBe('2')
      expect(((await response.json()) as { code: string }).code).toBe('KEY_STORE_UNAVAILABLE')
      expect(await codeOf(a.infer('tiny', keyId, encrypted()))).toBe('KEY_STORE_UNAVAILABLE')
      expect(await codeOf(a.uploadKeys('tiny', keys.evaluationKeyBundle()))).toBe(
        'KEY_STORE_UNAVAILABLE',
      )
      // No hang: each request is answered as soon as the client library sees the connection is down.
      expect(performance.now() - started).toBeLessThan(10_000)
      // The replicas themselves stay up: health is about the replica, not about Redis.
      expect((await fetch(`${replicas[0].url}/v1/health`)).status).toBe(200)
    } finally {
      await redis.start()
    }
    const deadline = Date.now() + 15_000
    let code = 'KEY_STORE_UNAVAILABLE'
    while (code === 'KEY_STORE_UNAVAILABLE' && Date.now() < deadline) {
      code = await codeOf(a.infer('tiny', keyId, encrypted()))
      if (code === 'KEY_STORE_UNAVAILABLE') await new Promise((r) => setTimeout(r, 200))
    }
    expect(code).toBe('no error')
    await new ServiceApi({ baseUrl: replicas[1].url, token: TOKENS[0] }).deleteKeys(keyId)
  })

  it('enforces one key quota across replicas (429 KEY_QUOTA_EXCEEDED) while another client is served', async () => {
    const [a, b] = replicas.map(
      (replica) => new ServiceApi({ baseUrl: replica.url, token: TOKENS[0] }),
    )
    const other = new ServiceApi({ baseUrl: replicas[0].url, token: TOKENS[1] })
    const bundle = () => keys.evaluationKeyBundle()
    const first = await a.uploadKeys('tiny', bundle())
    const second = await b.uploadKeys('tiny', bundle())
    let problem: unknown
    try {
      await a.uploadKeys('tiny', bundle())
    } catch (error) {
      problem = error
    }
    expect(problem).toMatchObject({ code: 'KEY_QUOTA_EXCEEDED', details: { status: 429, max: 2 } })
    const theirs = await other.uploadKeys('tiny', bundle())
    for (const keyId of [first.keyId, second.keyId]) await b.deleteKeys(keyId)
    await other.deleteKeys(theirs.keyId)
    // The quota is free again on every replica.
    await b.deleteKeys((await a.uploadKeys('tiny', bundle())).keyId)
  })

  it('keeps a client session going when its replica stops: the client retries on another one', async () => {
    const c = await startReplica('c')
    const client = await PrivinferClient.create({
      baseUrl: c.url,
      replicaUrls: [replicas[1].url],
      token: TOKENS[0],
      retry: { initialDelayMs: 10 },
    })
    const session = await client.openSession('tiny')
    const input = randomInputs(1, 16, 9)[0]
    const before = await session.infer(input)
    await c.close()
    replicas.splice(replicas.indexOf(c), 1)
    // The keys live in Redis, not in the stopped replica: nothing is lost.
    const after = await session.infer(input)
    expect(after.label).toBe(before.label)
    for (let j = 0; j < before.logits.length; j++)
      expect(after.logits[j]).toBeCloseTo(before.logits[j], 2)
    await session.close()
  })
})
