/**
 * Model folders: models/<id>/ holds the ONNX file, card.json (core/card.ts ModelCard) and, written
 * by `privinfer import`, compile.json (options and the parameters chosen with the calibration data),
 * so start-up re-lowers the plan deterministically to the card's parameters without the calibration
 * data. Used by the service (service/pool) and the CLI.
 */
import { createHash } from 'node:crypto'
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ModelCard } from '../../core/card.ts'
import { PrivinferError } from '../../core/errors.ts'
import { loadSeal } from '../../core/seal/load.ts'
import { createCkksContext } from '../../core/ckks/context.ts'
import { compileModel, type CompiledModel } from '../compiler/compile.ts'
import type { CompileOptions } from '../compiler/compile.ts'
import type { HeParameters } from '../compiler/he-parameters.ts'
import type { ChebyshevLayer } from '../compiler/ir.ts'
import { withCompiledFields } from './he-card.ts'

export const CARD_FILE = 'card.json'
/** What `privinfer import` chose: {onnxSha256, options, parameters} (small; the plan is re-lowered). */
export const COMPILE_FILE = 'compile.json'

export interface CompileRecord {
  onnxSha256: string
  options: Omit<CompileOptions, 'calibration' | 'parameters'>
  parameters: HeParameters
  /** The reasons of the original compilation (with its calibration). */
  reasons: string[]
  /**
   * The fitted activations (ChebyshevLayers of compiled.approximations' method 'fit') as plain
   * arrays: the loader evaluates these, not a fit on other calibration data.
   */
  fitted?: FittedLayerRecord[]
}

export interface FittedLayerRecord {
  name: string
  center: number[]
  halfWidth: number[]
  coefficients: number[][]
}

function fittedLayersOf(compiled: CompiledModel): FittedLayerRecord[] {
  const fits = new Set(
    compiled.approximations.filter((a) => a.method === 'fit').map((a) => a.layer),
  )
  return compiled.approximatedModel.layers.flatMap((layer) =>
    layer.kind === 'chebyshev' && fits.has(layer.name)
      ? [
          {
            name: layer.name,
            center: Array.from(layer.center),
            halfWidth: Array.from(layer.halfWidth),
            coefficients: layer.coefficients.map((c) => Array.from(c)),
          },
        ]
      : [],
  )
}

function chebyshevLayersOf(records: readonly FittedLayerRecord[]): ChebyshevLayer[] {
  return records.map((record) => ({
    kind: 'chebyshev',
    name: record.name,
    center: Float64Array.from(record.center),
    halfWidth: Float64Array.from(record.halfWidth),
    coefficients: record.coefficients.map((c) => Float64Array.from(c)),
  }))
}

export interface ModelDirectory {
  card: ModelCard
  compiled: CompiledModel
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** SEAL-serialized EncryptionParameters (base64) of a parameter set. */
export async function encryptionParametersBase64Of(parameters: HeParameters): Promise<string> {
  const ctx = createCkksContext(await loadSeal(), parameters)
  try {
    return ctx.encryptionParametersBase64()
  } finally {
    ctx.delete()
  }
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'))
  } catch (cause) {
    throw new PrivinferError('INVALID_MODEL', `${path} is missing or not JSON`, {}, { cause })
  }
}

function sameParameters(card: ModelCard, compiled: CompiledModel): boolean {
  const he = card.he
  const p = compiled.parameters
  return (
    he.polyModulusDegree === p.polyModulusDegree &&
    he.coeffModulusBits.join(',') === p.coeffModulusBits.join(',') &&
    he.scaleBits === p.scaleBits &&
    he.galoisSteps.join(',') === compiled.galoisSteps.join(',')
  )
}

/**
 * Loads models/<id>/: the card, and the plan compiled with compile.json's options and pinned
 * parameters when it matches the ONNX file (sha256), else with default options. The returned card carries the HE fields
 * and layouts of the compiled plan.
 * @throws PrivinferError INVALID_MODEL when files are missing, or the card's HE parameters disagree
 *   with the compiled plan (run `privinfer import` again); compiler errors otherwise.
 */
export async function loadModelDirectory(dir: string): Promise<ModelDirectory> {
  const card = (await readJson(join(dir, CARD_FILE))) as ModelCard
  const onnxBytes = new Uint8Array(await readFile(join(dir, card.onnxFile ?? 'model.onnx')))
  const onnxSha256 = sha256Hex(onnxBytes)
  let compiled: CompiledModel | undefined
  const pinned = await readFile(join(dir, COMPILE_FILE), 'utf8').then(
    (text) => JSON.parse(text) as CompileRecord,
    () => undefined,
  )
  if (pinned !== undefined && pinned.onnxSha256 === onnxSha256) {
    compiled = compileModel(onnxBytes, {
      ...pinned.options,
      ...(pinned.fitted === undefined
        ? {}
        : {
            approximation: {
              ...pinned.options.approximation,
              fitted: chebyshevLayersOf(pinned.fitted),
            },
          }),
      parameters: pinned.parameters,
    })
    compiled.reasons = pinned.reasons
  }
  if (compiled === undefined) {
    const ring = card.he ? { polyModulusDegree: card.he.polyModulusDegree } : {}
    compiled = compileModel(onnxBytes, ring)
  }
  if (card.he !== undefined && !sameParameters(card, compiled)) {
    throw new PrivinferError(
      'INVALID_MODEL',
      `${dir}: card.json's HE parameters do not match the compiled model; run privinfer import again`,
    )
  }
  const base64 = card.he?.encryptionParametersBase64 ?? (await encryptionParametersBase64Of(compiled.parameters))
  return { card: withCompiledFields(card, compiled, base64), compiled }
}

/** Writes model.onnx (as card.onnxFile), card.json and compile.json into `dir`. */
export async function writeModelDirectory(
  dir: string,
  files: { onnxBytes: Uint8Array; card: ModelCard; compiled: CompiledModel },
): Promise<void> {
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, files.card.onnxFile), files.onnxBytes)
  const fitted = fittedLayersOf(files.compiled)
  const { approximation, ...options } = files.compiled.options
  const { fitted: _kept, ...approximationOptions } = approximation ?? {}
  const record: CompileRecord = {
    onnxSha256: sha256Hex(files.onnxBytes),
    options: approximation === undefined ? options : { ...options, approximation: approximationOptions },
    parameters: files.compiled.parameters,
    reasons: files.compiled.reasons,
    ...(fitted.length > 0 ? { fitted } : {}),
  }
  await writeFile(join(dir, COMPILE_FILE), JSON.stringify(record, null, 2) + '\n')
  await writeFile(join(dir, CARD_FILE), JSON.stringify(files.card, null, 2) + '\n')
}

/** Ids of the model folders (those with a card.json) in `modelsDir`, sorted. */
export async function listModels(modelsDir: string): Promise<string[]> {
  const names = await readdir(modelsDir).catch(() => [] as string[])
  const ids: string[] = []
  for (const name of names.sort()) {
    const isModel = await stat(join(modelsDir, name, CARD_FILE)).then((info) => info.isFile(), () => false)
    if (isModel) ids.push(name)
  }
  return ids
}
