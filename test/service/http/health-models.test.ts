import { describe, expect, it } from 'vitest'
import request from 'supertest'
import { buildTestApp } from './fakes.ts'
import { expectProblem } from './expect-problem.ts'

describe('GET /v1/health', () => {
  it('answers 503 NOT_READY before the models are compiled, then 200', async () => {
    const { app, state } = buildTestApp()
    state.ready = false
    expectProblem(await request(app).get('/v1/health'), 503, 'NOT_READY')
    expect((await request(app).get('/v1/health')).headers['retry-after']).toBe('5')
    state.ready = true
    const ready = await request(app).get('/v1/health')
    expect(ready.status).toBe(200)
    expect(ready.body).toEqual({ status: 'ok', models: ['alpha', 'beta'] })
  })

  it('gates the API routes with 503 NOT_READY until ready', async () => {
    const { app, state } = buildTestApp()
    state.ready = false
    expectProblem(await request(app).get('/v1/models'), 503, 'NOT_READY')
  })
})

describe('GET /v1/models', () => {
  it('lists the models with their sizes', async () => {
    const { app } = buildTestApp()
    const response = await request(app).get('/v1/models')
    expect(response.status).toBe(200)
    expect(response.body.models.map((m: { id: string }) => m.id)).toEqual(['alpha', 'beta'])
    expect(response.body.models[0]).toMatchObject({
      inputSize: 4,
      outputSize: 4,
      polyModulusDegree: 2048,
    })
  })

  it('returns one card with parameters, galois steps and layouts', async () => {
    const { app } = buildTestApp()
    const response = await request(app).get('/v1/models/alpha')
    expect(response.status).toBe(200)
    expect(response.body.he).toMatchObject({
      polyModulusDegree: 2048,
      coeffModulusBits: [30, 20, 30],
      galoisSteps: [1, 2],
      needsRelinKeys: true,
      encryptionParametersBase64: 'AAAA',
    })
    expect(response.body.input.layout.blocks).toHaveLength(1)
    expect(response.body.output.layout).toMatchObject({ outputSize: 4 })
  })

  it('answers 404 MODEL_NOT_FOUND for an unknown model', async () => {
    const { app } = buildTestApp()
    expectProblem(await request(app).get('/v1/models/nope'), 404, 'MODEL_NOT_FOUND')
  })
})

describe('edge', () => {
  it('answers 404 NOT_FOUND for an unknown route', async () => {
    const { app } = buildTestApp()
    expectProblem(await request(app).get('/v2/whatever'), 404, 'NOT_FOUND')
  })

  it('serves the OpenAPI document', async () => {
    const { app } = buildTestApp()
    const response = await request(app).get('/v1/openapi.json')
    expect(response.status).toBe(200)
    expect(response.body.openapi).toBe('3.1.0')
  })

  it('serves Prometheus metrics', async () => {
    const { app } = buildTestApp()
    await request(app).get('/v1/models/nope')
    const response = await request(app).get('/metrics')
    expect(response.status).toBe(200)
    expect(response.text).toContain('privinfer_problems_total{code="MODEL_NOT_FOUND"} 1')
  })

  it('sets helmet headers, a request id and CORS for configured origins only', async () => {
    const { app } = buildTestApp()
    const allowed = await request(app).get('/v1/models').set('Origin', 'https://demo.example')
    expect(allowed.headers['access-control-allow-origin']).toBe('https://demo.example')
    expect(allowed.headers['x-content-type-options']).toBe('nosniff')
    expect(allowed.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
    const other = await request(app).get('/v1/models').set('Origin', 'https://evil.example')
    expect(other.headers['access-control-allow-origin']).toBeUndefined()
  })

  it('requires the bearer token when AUTH_TOKEN is set, except on health', async () => {
    const token = 'a-long-enough-test-token'
    const { app } = buildTestApp({ authTokens: [token] })
    expectProblem(await request(app).get('/v1/models'), 401, 'UNAUTHORIZED')
    expectProblem(
      await request(app).get('/v1/models').set('Authorization', 'Bearer wrong'),
      401,
      'UNAUTHORIZED',
    )
    expect(
      (await request(app).get('/v1/models').set('Authorization', `Bearer ${token}`)).status,
    ).toBe(200)
    expect((await request(app).get('/v1/health')).status).toBe(200)
  })

  it('rate-limits per client with 429 RATE_LIMITED', async () => {
    const { app } = buildTestApp({ rateLimitMax: 3 })
    for (let i = 0; i < 3; i++) expect((await request(app).get('/v1/models')).status).toBe(200)
    const limited = await request(app).get('/v1/models')
    expectProblem(limited, 429, 'RATE_LIMITED')
    expect(limited.headers['retry-after']).toBeDefined()
  })
})

describe('docs/openapi.json', () => {
  it('lists every problem code with the status problem.ts answers', async () => {
    const { readFile } = await import('node:fs/promises')
    const { PROBLEMS } = await import('../../../service/http/problem.ts')
    const { ERROR_CODES } = await import('../../../core/errors.ts')
    const document = JSON.parse(await readFile('docs/openapi.json', 'utf8')) as {
      'x-problem-codes': Record<string, { status: number }>
      components: { schemas: { Problem: { properties: { code: { enum: string[] } } } } }
    }
    expect(Object.keys(document['x-problem-codes']).sort()).toEqual([...ERROR_CODES].sort())
    for (const code of ERROR_CODES)
      expect(document['x-problem-codes'][code].status).toBe(PROBLEMS[code].status)
    expect(document.components.schemas.Problem.properties.code.enum.sort()).toEqual(
      [...ERROR_CODES].sort(),
    )
  })
})
