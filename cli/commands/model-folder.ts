/**
 * Resolves `--model <id>` to models/<id>/ and loads it (service/models), shared by infer, evaluate
 * and bench.
 */
import { join } from 'node:path'
import { PrivinferError } from '../../core/errors.ts'
import { loadModelDirectory, type ModelDirectory } from '../../service/models/index.ts'

export async function loadModelOption(
  values: Record<string, unknown>,
): Promise<ModelDirectory & { dir: string }> {
  const id = values.model
  if (typeof id !== 'string' || id.length === 0)
    throw new PrivinferError('FIELD_MISSING', '--model is required', { option: '--model' })
  const modelsDir = typeof values['models-dir'] === 'string' ? values['models-dir'] : 'models'
  const dir = join(modelsDir, id)
  try {
    return { dir, ...(await loadModelDirectory(dir)) }
  } catch (error) {
    if (
      (error as PrivinferError).code === 'INVALID_MODEL' &&
      !(error as Error).message.includes('HE parameters')
    ) {
      throw new PrivinferError(
        'MODEL_NOT_FOUND',
        `no model '${id}' in ${modelsDir} (${(error as Error).message})`,
        {},
        { cause: error },
      )
    }
    throw error
  }
}
