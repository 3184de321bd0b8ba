/**
 * privinfer import <model.onnx> --id <id> [--calibration inputs.json] [--models-dir dir] [--json]
 * Compiles the ONNX model to an HE plan, checks it against onnxruntime under real encryption on the
 * calibration inputs and writes <models-dir>/<id>/ (model.onnx, card.json, compile.json).
 */
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ModelCard } from '../../core/card.ts'
import { PrivinferError } from '../../core/errors.ts'
import {
  compileModel,
  defaultCalibration,
  type CompiledModel,
  type CompileOptions,
} from '../../service/compiler/compile.ts'
import type { LayerModel } from '../../service/compiler/ir.ts'
import { importOnnxGraph } from '../../service/compiler/onnx-import.ts'
import { readOnnxModel } from '../../onnx/read.ts'
import {
  assertPrecisionMet,
  compareApproximationToPlain,
  compareBatchHeToPlain,
  compareHeToPlain,
  type HeVsPlain,
} from '../../service/models/compare-he.ts'
import { approximationCardOf, withCompiledFields } from '../../service/models/he-card.ts'
import {
  CARD_FILE,
  encryptionParametersBase64Of,
  writeModelDirectory,
} from '../../service/models/index.ts'
import { emit, integerOption, numberOption, parseCommandArgs, requireString } from '../args.ts'
import { createProgress } from '../progress.ts'
import type { Command } from './index.ts'

/** Reads a calibration / input file: a JSON array of input vectors of `size` numbers each. */
export async function readInputVectors(path: string, size: number): Promise<number[][]> {
  let parsed: unknown
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'))
  } catch (cause) {
    throw new PrivinferError('INPUT_INVALID', `${path}: not a JSON file`, {}, { cause })
  }
  if (!Array.isArray(parsed) || parsed.length === 0) {
    throw new PrivinferError(
      'INPUT_INVALID',
      `${path}: expected a non-empty JSON array of input vectors`,
    )
  }
  parsed.forEach((row, index) => {
    if (
      !Array.isArray(row) ||
      row.length !== size ||
      row.some((v) => typeof v !== 'number' || !Number.isFinite(v))
    ) {
      throw new PrivinferError(
        'INPUT_INVALID',
        `${path}: vector ${index} must hold ${size} finite numbers`,
      )
    }
  })
  return parsed as number[][]
}

/** The files of a model folder (service/models, training/model-folder.ts), removed by --force. */
const MODEL_FILES = [
  CARD_FILE,
  'card.md',
  'compile.json',
  'compiled.json',
  'model.onnx',
  'test-indices.json',
]

/**
 * Throws MODEL_EXISTS when `dir` holds a model and `force` is false; returns whether one is replaced.
 */
async function refuseExistingModel(dir: string, id: string, force: boolean): Promise<boolean> {
  const existing = await readFile(join(dir, CARD_FILE), 'utf8').then(
    (text) => text,
    () => undefined,
  )
  if (existing === undefined) return false
  if (force) return true
  let title = ''
  try {
    title = ` ('${String((JSON.parse(existing) as ModelCard).title).slice(0, 80)}')`
  } catch {
    // An unreadable card is still an existing model folder.
  }
  throw new PrivinferError(
    'MODEL_EXISTS',
    `${dir} already holds model '${id}'${title}; choose another --id, or add --force to replace it (its card is not kept)`,
    { dir, modelId: id },
  )
}

async function removeModelFiles(dir: string): Promise<void> {
  const card = await readFile(join(dir, CARD_FILE), 'utf8').then(
    (text) => JSON.parse(text) as Partial<ModelCard>,
    () => ({}) as Partial<ModelCard>,
  )
  const files = new Set(MODEL_FILES)
  if (typeof card.onnxFile === 'string' && !card.onnxFile.includes('/')) files.add(card.onnxFile)
  for (const file of files) await rm(join(dir, file), { force: true })
}

/** Test rows of the datasets evaluate knows; trainSize 0: an imported model's training data is unknown. */
const DATASET_SIZES: Record<string, { trainSize: number; testSize: number }> = {
  mnist: { trainSize: 0, testSize: 10_000 },
  'fashion-mnist': { trainSize: 0, testSize: 10_000 },
}
const TEST_INDICES_FILE = 'test-indices.json'

/** card.data from --dataset / --test-indices, or undefined when neither is given. */
async function testDataOf(
  values: Record<string, unknown>,
): Promise<{ card: NonNullable<ModelCard['data']>; indicesText?: string } | undefined> {
  const dataset = values.dataset as string | undefined
  const indicesPath = values['test-indices'] as string | undefined
  if (dataset === undefined && indicesPath === undefined) return undefined
  const name = dataset ?? 'mnist'
  const sizes = DATASET_SIZES[name]
  if (sizes === undefined) {
    throw new PrivinferError(
      'OPTION_INVALID',
      `--dataset must be one of ${Object.keys(DATASET_SIZES).join(', ')}`,
    )
  }
  if (indicesPath === undefined) return { card: { dataset: name, ...sizes } }
  const indicesText = await readFile(indicesPath, 'utf8')
  let parsed: unknown
  try {
    parsed = JSON.parse(indicesText)
  } catch (cause) {
    throw new PrivinferError('INPUT_INVALID', `${indicesPath}: not a JSON file`, {}, { cause })
  }
  const indices = Array.isArray(parsed) ? parsed : (parsed as { indices?: unknown }).indices
  if (
    !Array.isArray(indices) ||
    indices.some((i) => !Number.isInteger(i) || i < 0 || i >= sizes.testSize)
  ) {
    throw new PrivinferError(
      'INPUT_INVALID',
      `${indicesPath}: expected {"indices": [...]} of ${name} test rows (0 .. ${sizes.testSize - 1})`,
    )
  }
  return { card: { dataset: name, ...sizes, testIndicesFile: TEST_INDICES_FILE }, indicesText }
}

/** Compile options shared by import and bench. */
export const COMPILE_FLAGS = {
  strategy: { type: 'string' },
  'client-fold': { type: 'boolean' },
  'fold-radix': { type: 'string' },
  'giant-step': { type: 'string' },
  'lazy-output': { type: 'string' },
  'output-precision': { type: 'string' },
  'flood-noise': { type: 'string' },
  batch: { type: 'string' },
  packing: { type: 'string' },
} as const

function onOff(value: unknown): boolean {
  if (value === 'on') return true
  if (value === 'off') return false
  throw new PrivinferError('OPTION_INVALID', '--lazy-output must be on or off')
}

/** --batch K [--packing lanes|features]: the batch plan options. */
function batchOptionsOf(
  values: Record<string, unknown>,
): Pick<CompileOptions, 'batch' | 'packing'> {
  const packing = values.packing
  if (packing !== undefined && packing !== 'lanes' && packing !== 'features') {
    throw new PrivinferError('BAD_REQUEST', '--packing must be lanes or features')
  }
  if (values.batch === undefined) {
    if (packing !== undefined) throw new PrivinferError('BAD_REQUEST', '--packing needs --batch K')
    return {}
  }
  const batch = numberOption(values, 'batch')
  if (!Number.isInteger(batch) || batch < 1) {
    throw new PrivinferError('BAD_REQUEST', `--batch must be a positive integer, got ${batch}`)
  }
  return { batch, ...(packing === undefined ? {} : { packing }) }
}

export function compileOptionsOf(values: Record<string, unknown>): CompileOptions {
  const strategy = values.strategy
  if (strategy !== undefined && strategy !== 'optimized' && strategy !== 'baseline') {
    throw new PrivinferError('OPTION_INVALID', '--strategy must be optimized or baseline')
  }
  return {
    ...(strategy === undefined ? {} : { strategy }),
    ...(values['client-fold'] ? { clientFold: true } : {}),
    ...(values['fold-radix'] === undefined
      ? {}
      : { foldRadix: numberOption(values, 'fold-radix') }),
    ...(values['giant-step'] === undefined
      ? {}
      : { giantStep: numberOption(values, 'giant-step') }),
    ...(values['lazy-output'] === undefined ? {} : { lazyOutput: onOff(values['lazy-output']) }),
    ...(values['output-precision'] === undefined
      ? {}
      : { outputPrecision: outputPrecisionOf(values) }),
    ...(values['flood-noise'] === undefined
      ? {}
      : { floodNoise: { securityBits: integerOption(values, 'flood-noise', 0, 60)! } }),
    ...batchOptionsOf(values),
  }
}

function outputPrecisionOf(values: Record<string, unknown>): number {
  const precision = numberOption(values, 'output-precision')
  if (!(precision > 0)) {
    throw new PrivinferError('OPTION_INVALID', '--output-precision must be a positive number', {
      option: '--output-precision',
    })
  }
  return precision
}

/** The approximation report lines of `privinfer import`. */
function approximationLines(approximation: ModelCard['approximation']): string[] {
  if (approximation === undefined) return []
  const { check } = approximation
  return [
    `approximated ${approximation.nodes.length} node(s) by polynomials:`,
    ...approximation.nodes.map(
      (n) =>
        `  - ${n.node} (${n.ops.join(', ')}): ${n.function}, ${n.method === 'fit' ? 'fitted' : 'trained'} degree ${n.degree}, range [${n.range.map((v) => v.toPrecision(3)).join(', ')}] fitted on [${n.interval.map((v) => v.toPrecision(3)).join(', ')}] (+${Math.round(100 * n.margin)}% margin), max fit error ${n.maxFitError.toExponential(2)}`,
    ),
    `approximated model (float64) vs onnxruntime on ${check.inputs} calibration inputs: decision agreement ${(100 * check.agreement).toFixed(1)}%, max |difference| ${check.maxAbsDifference.toExponential(2)}`,
  ]
}

interface ImportedModel {
  id: string
  onnxPath: string
  layerModel: LayerModel
  compiled: CompiledModel
  check: HeVsPlain
  batchCheck: { comparison: NonNullable<ModelCard['comparison']> } | undefined
  approximation: ModelCard['approximation']
  data: ModelCard['data'] | undefined
}

/**
 * A fresh card: nothing of a replaced model's card (title, privacy, accuracy, preprocessing) may
 * describe this ONNX file.
 */
async function importedCard(imported: ImportedModel): Promise<ModelCard> {
  const { id, onnxPath, layerModel, compiled, check, batchCheck, approximation, data } = imported
  const base: ModelCard = {
    formatVersion: 1,
    id,
    title: id,
    description: `imported from ${onnxPath}`,
    nonPrivate: true,
    onnxFile: 'model.onnx',
    labels: Array.from({ length: layerModel.outputSize }, (_, i) => String(i)),
    input: {
      rawSize: layerModel.inputSize,
      size: layerModel.inputSize,
      preprocessing: { kind: 'none' },
      layout: compiled.inputLayout,
    },
    output: { size: layerModel.outputSize, layout: compiled.outputLayout },
    he: undefined as never,
    privacy: null,
    createdAt: new Date().toISOString(),
  }
  const compiledCard = withCompiledFields(
    base,
    compiled,
    await encryptionParametersBase64Of(compiled.parameters),
  )
  return {
    ...compiledCard,
    ...(compiledCard.batch === undefined || batchCheck === undefined
      ? {}
      : { batch: { ...compiledCard.batch, comparison: batchCheck.comparison } }),
    comparison: check.comparison,
    ...(approximation ? { approximation } : {}),
    ...(data ? { data } : {}),
  }
}

/** What import prints: one JSON object (--json) or the reasons and the checks as text. */
function report(
  json: boolean,
  imported: Pick<ImportedModel, 'id' | 'compiled' | 'check' | 'batchCheck' | 'approximation'> & {
    dir: string
    card: ModelCard
  },
): void {
  const { id, dir, compiled, card, check, batchCheck, approximation } = imported
  const { parameters } = compiled
  emit(
    json,
    {
      id,
      dir,
      polyModulusDegree: parameters.polyModulusDegree,
      coeffModulusBits: parameters.coeffModulusBits,
      scaleBits: parameters.scaleBits,
      galoisSteps: compiled.galoisSteps,
      depth: compiled.depth,
      maxBatch: card.maxBatch ?? 1,
      ...(card.batch === undefined ? {} : { packing: card.batch.packing }),
      maxAbsError: check.comparison.maxAbsError,
      tolerance: check.comparison.tolerance,
      argmaxAgreement: check.comparison.argmaxAgreement,
      precision: check.precision,
      ...(card.output.postprocessing ? { postprocessing: card.output.postprocessing } : {}),
      ...(approximation ? { approximation } : {}),
      ...(batchCheck === undefined ? {} : { batchComparison: batchCheck.comparison }),
      opCounts: compiled.opCounts,
      reasons: card.he.reasons,
    },
    () =>
      [
        `imported ${id} into ${dir}`,
        ...card.he.reasons.map((reason) => `  - ${reason}`),
        ...approximationLines(approximation),
        ...(card.output.postprocessing
          ? [`post-processing after decryption (client): ${card.output.postprocessing}`]
          : []),
        `HE vs float64 plan on ${check.comparison.inputs} inputs: max |error| ${check.precision.maxAbsError.toExponential(2)} <= precision target ${check.precision.target.toExponential(2)}`,
        `HE vs onnxruntime on ${check.comparison.inputs} inputs: max |error| ${check.comparison.maxAbsError.toExponential(2)} (tolerance ${check.comparison.tolerance.toExponential(2)}), argmax agreement ${(100 * check.comparison.argmaxAgreement).toFixed(1)}%`,
        ...(batchCheck === undefined || card.batch === undefined
          ? []
          : [
              `batch plan (${card.batch.packing}, up to ${card.batch.maxBatch} inputs per query) vs onnxruntime: max |error| ${batchCheck.comparison.maxAbsError.toExponential(2)} (tolerance ${batchCheck.comparison.tolerance.toExponential(2)}), argmax agreement ${(100 * batchCheck.comparison.argmaxAgreement).toFixed(1)}%`,
            ]),
      ].join('\n'),
  )
}

export const command: Command = {
  name: 'import',
  summary: 'compile an ONNX model into an HE plan and model card',
  usage: `usage: privinfer import <model.onnx> --id <id> [--calibration inputs.json] [--models-dir models]
       [--strategy optimized|baseline] [--client-fold] [--fold-radix R] [--lazy-output on|off]
       [--output-precision R] [--batch K [--packing lanes|features]] [--flood-noise BITS]
       [--compare N] [--force]
       [--dataset mnist|fashion-mnist] [--test-indices indices.json] [--json]
  --calibration  JSON array of input vectors (value ranges and the HE check); default: 16 random in [0, 1]
  --output-precision  required CKKS error as a fraction of max |output| on the calibration inputs
                 (default 1e-3); import fails with PRECISION_NOT_MET when no parameters meet it or
                 the encrypted check on the calibration inputs exceeds it
  --compare      how many calibration inputs to run under encryption (default: all, at most 32)
  --flood-noise  noise flooding of every result at BITS bits (docs/threat-model.md; costs precision)
  --batch K      also compile a batch plan for up to K inputs per query (card maxBatch); --packing
                 forces block packing (lanes) or one input per slot (features), else the faster
  --force        replace an existing model folder <models-dir>/<id>: its files are removed and a fresh
                 card is written (nothing of the old card is kept); without it an existing id is refused
  --dataset      the test data \`privinfer evaluate\` draws from (card.data.dataset; default mnist)
  --test-indices JSON {indices: [...]} (or an array) of test rows to evaluate on, copied to the folder`,
  async run(argv) {
    const parsed = parseCommandArgs(argv, {
      id: { type: 'string' },
      calibration: { type: 'string' },
      'models-dir': { type: 'string' },
      compare: { type: 'string' },
      force: { type: 'boolean' },
      dataset: { type: 'string' },
      'test-indices': { type: 'string' },
      ...COMPILE_FLAGS,
    })
    const values = parsed.values as Record<string, unknown>
    const positionals = parsed.positionals
    const onnxPath = positionals[0]
    if (onnxPath === undefined)
      throw new PrivinferError(
        'FIELD_MISSING',
        'the ONNX file is required: privinfer import <model.onnx> --id <id>',
      )
    const id = requireString(values, 'id')
    if (!/^[a-z0-9][a-z0-9._-]{0,63}$/i.test(id))
      throw new PrivinferError('OPTION_INVALID', `--id '${id}' must be a simple name`)
    const modelsDir = (values['models-dir'] as string | undefined) ?? 'models'
    const dir = join(modelsDir, id)
    // Refuse before any work: an existing model is replaced only on request.
    const replaced = await refuseExistingModel(dir, id, Boolean(values.force))
    const data = await testDataOf(values)
    const onnxBytes = new Uint8Array(await readFile(onnxPath))
    const graph = readOnnxModel(onnxBytes)
    const layerModel = importOnnxGraph(graph)
    const calibration = values.calibration
      ? await readInputVectors(values.calibration as string, layerModel.inputSize)
      : Array.from(defaultCalibration(layerModel.inputSize), (row) => Array.from(row))
    const options = compileOptionsOf(values)
    const compiled = compileModel(onnxBytes, {
      ...options,
      ...(values.calibration ? { calibration } : {}),
    })
    const compareCount = Math.min(calibration.length, numberOption(values, 'compare', 32))
    const progress = createProgress('HE check', compareCount)
    const check = await compareHeToPlain(
      compiled,
      onnxBytes,
      calibration.slice(0, compareCount),
      (done) => progress.tick(done),
    )
    progress.finish()
    // Refused before anything is written: the measured CKKS error must meet the target.
    assertPrecisionMet(check)
    const approximation = approximationCardOf(
      compiled,
      graph,
      await compareApproximationToPlain(compiled, onnxBytes, calibration),
    )
    const batchCheck =
      compiled.batch === undefined
        ? undefined
        : await compareBatchHeToPlain(compiled, onnxBytes, calibration.slice(0, compareCount))
    const card = await importedCard({
      id,
      onnxPath,
      layerModel,
      compiled,
      check,
      batchCheck,
      approximation,
      data: data?.card,
    })
    if (replaced) await removeModelFiles(dir)
    await writeModelDirectory(dir, { onnxBytes, card, compiled })
    if (data?.indicesText !== undefined)
      await writeFile(join(dir, TEST_INDICES_FILE), data.indicesText)
    report(Boolean(values.json), { id, dir, compiled, card, check, batchCheck, approximation })
  },
}
