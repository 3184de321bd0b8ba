/**
 * Only models with a DP guarantee of epsilon <= 3 at delta <= 1e-5 are served by default; non-private
 * benchmark models (mnist-mlp) load only when the operator opts in, with a warning.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../../service/config.ts'
import { loadServedModels } from '../../../service/pool/served-models.ts'

/** A pino logger that records (level, message, fields). */
function recordingLogger() {
  const lines: Array<{ level: number; msg: string; modelId?: string }> = []
  const logger = pino(
    { level: 'info' },
    { write: (line: string) => void lines.push(JSON.parse(line) as (typeof lines)[number]) },
  )
  return { logger, lines }
}

describe('the default privacy policy of the served catalog', () => {
  let modelsDir: string
  beforeAll(async () => {
    modelsDir = await mkdtemp(join(tmpdir(), 'privinfer-policy-'))
    for (const id of ['mnist-dp', 'mnist-mlp'])
      await cp(join('models', id), join(modelsDir, id), { recursive: true })
  })
  afterAll(async () => {
    await rm(modelsDir, { recursive: true, force: true })
  })

  it('serves only the DP model by default and says why the other is left out', async () => {
    const { logger, lines } = recordingLogger()
    const loaded = await loadServedModels(modelsDir, undefined, logger)
    expect(loaded.map((model) => model.card.id)).toEqual(['mnist-dp'])
    const skipped = lines.find((line) => line.modelId === 'mnist-mlp')
    expect(skipped?.msg).toMatch(/not served: no DP guarantee/)
  })

  it('serves the non-private benchmark model when the operator opts in, with a warning', async () => {
    const { logger, lines } = recordingLogger()
    const loaded = await loadServedModels(modelsDir, undefined, logger, {
      serveNonPrivateModels: true,
    })
    expect(loaded.map((model) => model.card.id).sort()).toEqual(['mnist-dp', 'mnist-mlp'])
    const warning = lines.find((line) => line.modelId === 'mnist-mlp' && line.level === 40)
    expect(warning?.msg).toMatch(/WITHOUT a DP guarantee/)
    const mlp = loaded.find((model) => model.card.id === 'mnist-mlp')
    expect(mlp?.card.title.startsWith('NON-PRIVATE')).toBe(true)
  })

  it('refuses DEFAULT_MODEL naming a non-private model without the opt-in (CONFIG_INVALID)', async () => {
    await expect(
      loadServedModels(modelsDir, 'mnist-mlp', pino({ level: 'silent' })),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
  })

  it('reads the opt-in from SERVE_NON_PRIVATE_MODELS (default off)', () => {
    expect(loadConfig({}).serveNonPrivateModels).toBe(false)
    expect(loadConfig({ SERVE_NON_PRIVATE_MODELS: 'true' }).serveNonPrivateModels).toBe(true)
    expect(() => loadConfig({ SERVE_NON_PRIVATE_MODELS: 'maybe' })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    )
  })
})
