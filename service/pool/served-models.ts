/**
 * Finds and compiles the models to serve (models/<id>/ folders, service/models), in the main thread
 * at start-up; the compiled plans are then handed to every worker.
 */
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from 'pino'
import type { ModelCard } from '../../core/card.ts'
import { PrivinferError } from '../../core/errors.ts'
import { loadModelDirectory } from '../models/index.ts'

export interface LoadedModel {
  /** The model folder (holds card.onnxFile). */
  dir: string
  card: ModelCard
  /** The JSON-serializable compiled model (service/compiler), passed to the workers. */
  compiled: unknown
}

/** The default model when DEFAULT_MODEL is not set, if it is served (README, GET /v1/models). */
export const BUNDLED_DEFAULT_MODEL = 'mnist-dp'

/**
 * Loads every model folder of `modelsDir` (a folder with a card.json). A model that fails to load is
 * logged and skipped, unless it is `defaultModel`. The default model comes first: `defaultModel`,
 * else BUNDLED_DEFAULT_MODEL when it loaded, else the first folder by name.
 * @throws PrivinferError MODEL_NOT_FOUND when no model loads or the default model is missing.
 */
export async function loadServedModels(
  modelsDir: string,
  defaultModel: string | undefined,
  logger: Logger,
): Promise<LoadedModel[]> {
  const names = (await readdir(modelsDir).catch(() => [] as string[])).sort()
  const loaded: LoadedModel[] = []
  for (const name of names) {
    const dir = join(modelsDir, name)
    const hasCard = await stat(join(dir, 'card.json')).then(
      (info) => info.isFile(),
      () => false,
    )
    if (!hasCard) continue
    const started = performance.now()
    try {
      const { card, compiled } = await loadModelDirectory(dir)
      loaded.push({ dir, card, compiled })
      logger.info(
        {
          modelId: card.id,
          polyModulusDegree: card.he.polyModulusDegree,
          galoisSteps: card.he.galoisSteps.length,
          ms: Math.round(performance.now() - started),
        },
        'model compiled',
      )
    } catch (error) {
      if (name === defaultModel) throw error
      logger.error({ err: error, dir }, 'model skipped: it does not load')
    }
  }
  if (defaultModel !== undefined) {
    const index = loaded.findIndex((model) => model.card.id === defaultModel)
    if (index < 0)
      throw new PrivinferError(
        'MODEL_NOT_FOUND',
        `DEFAULT_MODEL '${defaultModel}' is not in ${modelsDir}`,
      )
    loaded.unshift(...loaded.splice(index, 1))
  } else {
    const index = loaded.findIndex((model) => model.card.id === BUNDLED_DEFAULT_MODEL)
    if (index > 0) loaded.unshift(...loaded.splice(index, 1))
  }
  if (loaded.length === 0)
    throw new PrivinferError('MODEL_NOT_FOUND', `no model folder with a card.json in ${modelsDir}`)
  return loaded
}
