/**
 * Finds and compiles the models to serve (models/<id>/ folders, service/models), in the main thread
 * at start-up; the compiled plans are then handed to every worker.
 */
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { meetsDefaultPrivacyPolicy, privacyLabel, type ModelCard } from '../../core/card.ts'
import { PrivinferError } from '../../core/errors.ts'
import { loadModelDirectory } from '../models/index.ts'

export interface LoadedModel {
  /** The model folder (holds card.onnxFile). */
  dir: string
  card: ModelCard
  /** The JSON-serializable compiled model (service/compiler), passed to the workers. */
  compiled: unknown
}

export interface ServedModelOptions {
  /**
   * Also load models that do not meet the default privacy policy (a DP guarantee with epsilon <= 3
   * at delta <= 1e-5, core/card.ts meetsDefaultPrivacyPolicy); each one is logged as a warning.
   */
  serveNonPrivateModels?: boolean
}

/** The default model when DEFAULT_MODEL is not set, if it is served (README, GET /v1/models). */
export const BUNDLED_DEFAULT_MODEL = 'mnist-dp'

/**
 * Loads every model folder of `modelsDir` (a folder with a card.json) whose card meets the default
 * privacy policy, and the others only with `serveNonPrivateModels`. A model that fails to load is
 * logged and skipped, unless it is `defaultModel`. The default model comes first: `defaultModel`,
 * else BUNDLED_DEFAULT_MODEL when it loaded, else the first folder by name.
 * @throws PrivinferError MODEL_NOT_FOUND when no model loads or the default model is missing;
 *   CONFIG_INVALID when DEFAULT_MODEL names a model the policy excludes.
 */
export async function loadServedModels(
  modelsDir: string,
  defaultModel: string | undefined,
  logger: Logger,
  options: ServedModelOptions = {},
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
    const policyCard = await readFile(join(dir, 'card.json'), 'utf8').then(
      (text) => JSON.parse(text) as Pick<ModelCard, 'id' | 'nonPrivate' | 'privacy'>,
      () => undefined,
    )
    if (policyCard !== undefined && !meetsDefaultPrivacyPolicy(policyCard)) {
      if (!options.serveNonPrivateModels) {
        if (name === defaultModel) {
          throw new PrivinferError(
            'CONFIG_INVALID',
            `DEFAULT_MODEL '${name}' is ${privacyLabel(policyCard)} (no DP guarantee of epsilon <= 3 at delta <= 1e-5); set SERVE_NON_PRIVATE_MODELS=true to serve it anyway`,
          )
        }
        logger.info(
          { modelId: name, privacy: privacyLabel(policyCard) },
          'model not served: no DP guarantee of epsilon <= 3 at delta <= 1e-5 (SERVE_NON_PRIVATE_MODELS=true serves it)',
        )
        continue
      }
      logger.warn(
        { modelId: name, privacy: privacyLabel(policyCard) },
        'serving a model WITHOUT a DP guarantee for its training data (SERVE_NON_PRIVATE_MODELS=true): clients can learn about its training records from its answers',
      )
    }
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
