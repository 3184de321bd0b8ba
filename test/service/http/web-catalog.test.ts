/**
 * The demo page at `/`, the catalog's default marker, and GET /v1/models/{id}/test-image (supertest on
 * createApp with fakes; the real test-image source is tested in test/service/models/).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PrivinferError } from '../../../core/errors.ts'
import type { TestImage } from '../../../core/test-image.ts'
import type { TestImageSource } from '../../../service/http/deps.ts'
import { expectProblem } from './expect-problem.ts'
import { buildTestApp } from './fakes.ts'

describe('GET / (the demo page)', () => {
  let webDir: string
  beforeAll(async () => {
    webDir = await mkdtemp(join(tmpdir(), 'privinfer-web-'))
    await writeFile(join(webDir, 'index.html'), '<!doctype html><title>demo</title>')
    await writeFile(join(webDir, 'demo.js'), 'export {}')
    await writeFile(join(webDir, 'seal_throws.wasm'), Uint8Array.from([0, 97, 115, 109]))
  })
  afterAll(async () => {
    await rm(webDir, { recursive: true, force: true })
  })

  it('serves index.html with a CSP that lets SEAL compile and the page call other services', async () => {
    const { app } = buildTestApp({ webDir })
    const response = await request(app).get('/')
    expect(response.status).toBe(200)
    expect(response.headers['content-type']).toMatch(/^text\/html/)
    expect(response.text).toContain('<title>demo</title>')
    const csp = response.headers['content-security-policy']
    expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'")
    expect(csp).toContain("connect-src 'self' http: https:")
    expect(csp).not.toContain('unsafe-inline')
    expect(csp).not.toContain('upgrade-insecure-requests')
    expect(response.headers['cache-control']).toBe('no-cache')
  })

  it('serves the script and the WebAssembly with their types, while models compile', async () => {
    const { app, state } = buildTestApp({ webDir })
    state.ready = false
    const script = await request(app).get('/demo.js')
    expect(script.status).toBe(200)
    expect(script.headers['content-type']).toMatch(/javascript/)
    const wasm = await request(app).get('/seal_throws.wasm')
    expect(wasm.headers['content-type']).toBe('application/wasm')
  })

  it('without a built page, / is 404 NOT_FOUND saying how to build it', async () => {
    const { app } = buildTestApp({ webDir: join(webDir, 'missing') })
    const response = await request(app).get('/')
    expectProblem(response, 404, 'NOT_FOUND')
    expect(response.body.detail).toContain('npm start builds it')
  })

  it('the API keeps its own headers (no page CSP on POST)', async () => {
    const { app } = buildTestApp({ webDir })
    const response = await request(app).post('/v1/keys')
    expect(response.headers['content-security-policy']).not.toContain('wasm-unsafe-eval')
  })
})

describe('GET /v1/models: the default model', () => {
  it('lists the first model of the catalog first, marked default: true, and only it', async () => {
    const { app } = buildTestApp()
    const response = await request(app).get('/v1/models')
    expect(response.status).toBe(200)
    const models = response.body.models as Array<{ id: string; default: boolean }>
    expect(models.map((model) => [model.id, model.default])).toEqual([
      ['alpha', true],
      ['beta', false],
    ])
  })

  it('summarizes each card: privacy, dataset and HE parameters for a model picker', async () => {
    const { app } = buildTestApp()
    const [alpha] = (await request(app).get('/v1/models')).body.models
    expect(alpha).toMatchObject({
      nonPrivate: true,
      epsilon: null,
      delta: null,
      dataset: null,
      he: { coeffModulusBits: [30, 20, 30], depth: 1, galoisSteps: [1, 2], needsRelinKeys: true },
    })
  })
})

describe('GET /v1/models/{id}/test-image', () => {
  const image: TestImage = {
    modelId: 'alpha',
    dataset: 'mnist',
    row: 7,
    label: 2,
    labelName: '2',
    width: 2,
    height: 2,
    pixels: [0, 0.5, 1, 0],
  }
  const source: TestImageSource = {
    async random(modelId) {
      if (modelId === 'beta') throw new PrivinferError('DATASET_UNAVAILABLE', 'not installed')
      return image
    },
  }

  it('answers a held-out image of the model, not cached', async () => {
    const { app } = buildTestApp({ testImages: source })
    const response = await request(app).get('/v1/models/alpha/test-image')
    expect(response.status).toBe(200)
    expect(response.body).toEqual(image)
    expect(response.headers['cache-control']).toBe('no-store')
  })

  it('404 MODEL_NOT_FOUND for an unknown model, 503 DATASET_UNAVAILABLE without data', async () => {
    const { app } = buildTestApp({ testImages: source })
    expectProblem(await request(app).get('/v1/models/nope/test-image'), 404, 'MODEL_NOT_FOUND')
    expectProblem(await request(app).get('/v1/models/beta/test-image'), 503, 'DATASET_UNAVAILABLE')
    const { app: bare } = buildTestApp()
    expectProblem(
      await request(bare).get('/v1/models/alpha/test-image'),
      503,
      'DATASET_UNAVAILABLE',
    )
  })

  it('is behind the readiness gate', async () => {
    const { app, state } = buildTestApp({ testImages: source })
    state.ready = false
    expectProblem(await request(app).get('/v1/models/alpha/test-image'), 503, 'NOT_READY')
  })
})
