import { describe, expect, it } from 'vitest'
import request from 'supertest'
import { GOOD_KEYS, buildTestApp } from './fakes.ts'
import { expectProblem } from './expect-problem.ts'
import { uploadLimitsFor } from '../../../service/http/upload-limits.ts'
import { fakeCard } from './fakes.ts'

const buffer = (bytes: Uint8Array) => Buffer.from(bytes)

describe('POST /v1/keys', () => {
  it('validates and stores keys: 201 {keyId, expiresAt}', async () => {
    const { app, executor, keyStore } = buildTestApp()
    const response = await request(app)
      .post('/v1/keys')
      .field('modelId', 'alpha')
      .attach('galoisKeys', buffer(GOOD_KEYS), 'galois.bin')
      .attach('relinKeys', buffer(GOOD_KEYS), 'relin.bin')
    expect(response.status).toBe(201)
    expect(response.body.keyId).toMatch(/^[A-Za-z0-9_-]{32}$/)
    expect(response.body.modelId).toBe('alpha')
    expect(Date.parse(response.body.expiresAt)).toBeGreaterThan(0)
    expect(response.headers.location).toBe(`/v1/keys/${response.body.keyId}`)
    expect(executor.validated).toBe(1)
    const stored = await keyStore.get(response.body.keyId)
    expect([...stored.keys.galoisKeys]).toEqual([...GOOD_KEYS])
  })

  it('accepts a model without relinearization keys when it needs none', async () => {
    const { app } = buildTestApp()
    const response = await request(app)
      .post('/v1/keys')
      .field('modelId', 'beta')
      .attach('galoisKeys', buffer(GOOD_KEYS), 'g')
    expect(response.status).toBe(201)
  })

  it('rejects keys that do not load with 400 KEYS_MALFORMED and stores nothing', async () => {
    const { app, keyStore } = buildTestApp()
    const response = await request(app)
      .post('/v1/keys')
      .field('modelId', 'beta')
      .attach('galoisKeys', Buffer.from('not keys at all'), 'g')
    expectProblem(response, 400, 'KEYS_MALFORMED')
    expect(keyStore.size).toBe(0)
  })

  it('answers 400 FIELD_MISSING without modelId, galoisKeys, or needed relinKeys', async () => {
    const { app } = buildTestApp()
    expectProblem(
      await request(app).post('/v1/keys').attach('galoisKeys', buffer(GOOD_KEYS), 'g'),
      400,
      'FIELD_MISSING',
    )
    expectProblem(
      await request(app).post('/v1/keys').field('modelId', 'beta'),
      400,
      'FIELD_MISSING',
    )
    const noRelin = await request(app)
      .post('/v1/keys')
      .field('modelId', 'alpha')
      .attach('galoisKeys', buffer(GOOD_KEYS), 'g')
    expectProblem(noRelin, 400, 'FIELD_MISSING')
    expect(noRelin.body.field).toBe('relinKeys')
  })

  it('answers 400 MULTIPART_MALFORMED when the keys come as a text field instead of a file', async () => {
    const { app } = buildTestApp()
    const response = await request(app)
      .post('/v1/keys')
      .field('modelId', 'beta')
      .field('galoisKeys', 'abc')
    // An unexpected text field exceeds the route's field count: malformed multipart for this route.
    expectProblem(response, 400, 'MULTIPART_MALFORMED')
  })

  it('answers 404 MODEL_NOT_FOUND for keys made for an unknown model', async () => {
    const { app } = buildTestApp()
    const response = await request(app)
      .post('/v1/keys')
      .field('modelId', 'nope')
      .attach('galoisKeys', buffer(GOOD_KEYS), 'g')
    expectProblem(response, 404, 'MODEL_NOT_FOUND')
  })

  it('answers 413 BODY_TOO_LARGE for keys larger than the model allows', async () => {
    const { app } = buildTestApp()
    const limit = uploadLimitsFor(fakeCard('beta', { needsRelinKeys: false })).galoisKeyBytes
    const huge = Buffer.alloc(limit + 1, 7)
    huge[0] = 0x5e
    huge[1] = 0xa1
    const response = await request(app)
      .post('/v1/keys')
      .field('modelId', 'beta')
      .attach('galoisKeys', huge, 'g')
    expectProblem(response, 413, 'BODY_TOO_LARGE')
  })

  it('answers 415 UNSUPPORTED_MEDIA_TYPE for a JSON body', async () => {
    const { app } = buildTestApp()
    const response = await request(app)
      .post('/v1/keys')
      .send({ modelId: 'alpha', galoisKeys: 'AAAA' })
    expectProblem(response, 415, 'UNSUPPORTED_MEDIA_TYPE')
  })

  it('answers 400 MULTIPART_MALFORMED for a broken multipart body', async () => {
    const { app } = buildTestApp()
    const truncated =
      '--XyZ\r\nContent-Disposition: form-data; name="modelId"\r\n\r\nalpha\r\n--XyZ\r\nContent-Disp'
    const response = await request(app)
      .post('/v1/keys')
      .set('Content-Type', 'multipart/form-data; boundary=XyZ')
      .send(truncated)
    expectProblem(response, 400, 'MULTIPART_MALFORMED')
    const noBoundary = await request(app)
      .post('/v1/keys')
      .set('Content-Type', 'multipart/form-data')
      .send('x')
    expectProblem(noBoundary, 400, 'MULTIPART_MALFORMED')
  })

  it('answers 400 MULTIPART_MALFORMED for an unexpected file part', async () => {
    const { app } = buildTestApp()
    const response = await request(app)
      .post('/v1/keys')
      .field('modelId', 'beta')
      .attach('secretKey', buffer(GOOD_KEYS), 's')
    expectProblem(response, 400, 'MULTIPART_MALFORMED')
  })

  it('answers 400 BAD_REQUEST for relinearization keys a model does not use', async () => {
    const { app } = buildTestApp()
    const response = await request(app)
      .post('/v1/keys')
      .field('modelId', 'beta')
      .attach('galoisKeys', buffer(GOOD_KEYS), 'g')
      .attach('relinKeys', buffer(GOOD_KEYS), 'r')
    expectProblem(response, 400, 'BAD_REQUEST')
  })

  it('answers 503 OVERLOADED with Retry-After when the pool queue is full', async () => {
    const { app, executor } = buildTestApp()
    executor.overloaded = true
    const response = await request(app)
      .post('/v1/keys')
      .field('modelId', 'beta')
      .attach('galoisKeys', buffer(GOOD_KEYS), 'g')
    expectProblem(response, 503, 'OVERLOADED')
    expect(response.headers['retry-after']).toBe('2')
  })
})

describe('DELETE /v1/keys/{keyId}', () => {
  it('removes keys at once: 204, then 404 KEY_NOT_FOUND', async () => {
    const { app } = buildTestApp()
    const created = await request(app)
      .post('/v1/keys')
      .field('modelId', 'beta')
      .attach('galoisKeys', buffer(GOOD_KEYS), 'g')
    const keyId = created.body.keyId as string
    expect((await request(app).delete(`/v1/keys/${keyId}`)).status).toBe(204)
    expectProblem(await request(app).delete(`/v1/keys/${keyId}`), 404, 'KEY_NOT_FOUND')
  })

  it('answers 404 KEY_NOT_FOUND for ids of the wrong shape', async () => {
    const { app } = buildTestApp()
    expectProblem(await request(app).delete('/v1/keys/..%2F..%2Fetc'), 404, 'KEY_NOT_FOUND')
  })
})
