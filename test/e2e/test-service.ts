/**
 * Starts the real service (config, key store, worker pool with real SEAL) on a free loopback port, with
 * a temporary keys/ folder and a temporary models/ folder holding a copy of the bundled default model
 * (mnist-dp when it loads, else mnist-mlp: these tests are about the service, not about one model).
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { loadConfig } from '../../service/config.ts'
import { startService, type RunningService } from '../../service/main.ts'
import { loadModelDirectory } from '../../service/models/index.ts'

export interface TestService {
  service: RunningService
  url: string
  modelId: string
  /** The original model folder (for the ONNX file and test indices). */
  modelDir: string
  keysDir: string
  close(): Promise<void>
}

export const DEFAULT_MODEL_CANDIDATES = ['mnist-dp', 'mnist-mlp']

/** The first bundled MNIST model that loads (compiles) here. */
export async function firstLoadableModel(): Promise<string> {
  for (const id of DEFAULT_MODEL_CANDIDATES) {
    if (!existsSync(join('models', id, 'card.json'))) continue
    if (
      await loadModelDirectory(join('models', id)).then(
        () => true,
        () => false,
      )
    )
      return id
  }
  throw new Error(`none of ${DEFAULT_MODEL_CANDIDATES.join(', ')} in models/ loads`)
}

/**
 * @param compileOptions merged into the copied model's compile.json options (e.g. floodNoise), so
 *   the service compiles the model with them.
 */
export async function startTestService(
  env: Record<string, string> = {},
  compileOptions: Record<string, unknown> = {},
): Promise<TestService> {
  const modelId = await firstLoadableModel()
  const root = await mkdtemp(join(tmpdir(), 'privinfer-e2e-'))
  const modelsDir = join(root, 'models')
  const keysDir = join(root, 'keys')
  await cp(join('models', modelId), join(modelsDir, modelId), { recursive: true })
  if (Object.keys(compileOptions).length > 0) {
    const file = join(modelsDir, modelId, 'compile.json')
    const record = JSON.parse(await readFile(file, 'utf8'))
    record.options = { ...record.options, ...compileOptions }
    await writeFile(file, JSON.stringify(record))
  }
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    MODELS_DIR: modelsDir,
    KEYS_DIR: keysDir,
    WORKERS: '1',
    RATE_LIMIT_MAX: '0',
    // One client and one key set send every query: no per-key limit, no key quota.
    KEY_RATE_LIMIT_MAX: '0',
    KEY_QUOTA_SETS: '0',
    LOG_LEVEL: 'silent',
    ...env,
  })
  const service = await startService(config, pino({ level: 'silent' }))
  await service.ready
  return {
    service,
    url: service.url,
    modelId,
    modelDir: join('models', modelId),
    keysDir,
    async close() {
      await service.close()
      await rm(root, { recursive: true, force: true })
    },
  }
}
