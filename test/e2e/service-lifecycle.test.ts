/**
 * service/main.ts startService: listens at once (health 503 until ready), becomes ready once a model
 * compiles and the workers are up, refuses to become ready without models, and shuts down gracefully.
 * Uses a tiny fixture model so it does not depend on the bundled MNIST models.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { loadConfig } from '../../service/config.ts'
import { startService, type RunningService } from '../../service/main.ts'
import { writeModelDirectory } from '../../service/models/index.ts'
import { compileFixture } from '../service/pool/compiled-fixture.ts'

let root: string | undefined
let service: RunningService | undefined

afterEach(async () => {
  await service?.close()
  service = undefined
  if (root) await rm(root, { recursive: true, force: true })
})

async function start(withModel: boolean): Promise<RunningService> {
  root = await mkdtemp(join(tmpdir(), 'privinfer-lifecycle-'))
  if (withModel) {
    const fixture = compileFixture('tiny')
    await writeModelDirectory(join(root, 'models', 'tiny'), {
      onnxBytes: fixture.onnx,
      card: fixture.card,
      compiled: fixture.compiled,
    })
  }
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    MODELS_DIR: join(root, 'models'),
    KEYS_DIR: join(root, 'keys'),
    WORKERS: '1',
    // The test model has no DP card: served only with the operator's opt-in.
    SERVE_NON_PRIVATE_MODELS: 'true',
    LOG_LEVEL: 'silent',
  })
  service = await startService(config, pino({ level: 'silent' }))
  return service
}

describe('startService', () => {
  it('answers 503 NOT_READY until ready, 200 after, and stops accepting connections on close', async () => {
    const running = await start(true)
    const early = await fetch(`${running.url}/v1/health`)
    // Start-up may already be done on a fast machine; before it is, health is 503 NOT_READY.
    if (early.status !== 200) {
      expect(early.status).toBe(503)
      expect(((await early.json()) as { code: string }).code).toBe('NOT_READY')
    }
    await running.ready
    const ready = await fetch(`${running.url}/v1/health`)
    expect(ready.status).toBe(200)
    expect(await ready.json()).toEqual({ status: 'ok', models: ['tiny'] })
    expect((await fetch(`${running.url}/v1/models/tiny`)).status).toBe(200)
    await running.close()
    service = undefined
    await expect(fetch(`${running.url}/v1/health`)).rejects.toThrow()
  })

  it('never becomes ready without a model: ready rejects with MODEL_NOT_FOUND, health stays 503', async () => {
    const running = await start(false)
    await expect(running.ready).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' })
    expect((await fetch(`${running.url}/v1/health`)).status).toBe(503)
  })
})
