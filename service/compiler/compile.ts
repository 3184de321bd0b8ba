/**
 * ONNX bytes → CompiledModel: import (onnx-import.ts), approximate the activations on the
 * calibration inputs (approximate-activations.ts), complete the squares, lower, calibrate value
 * ranges, select parameters (DESIGN.md §The flow; STYLE.md §4 transform → validate → select).
 *
 * N is tried from small to large: the plan is lowered for each candidate slot count, its value
 * ranges are measured on the calibration inputs and the first ring whose 128-bit budget holds the
 * chain wins (N=8192 for the 784-128-10 square MLP).
 */
import { PrivinferError } from '../../core/errors.ts'
import type { InputLayout, OutputLayout } from '../../core/card.ts'
import type { LayerModel } from './ir.ts'
import { importOnnx } from './onnx-import.ts'
import { seededRandom } from './seeded-random.ts'
import { completeSquares, type CompletedSquares } from './complete-square.ts'
import { evaluateLayerModel } from './evaluate-layer-model.ts'
import { lowerSteps, type LowerOptions, type LoweredModel } from './lower.ts'
import { decisionOf } from '../../core/postprocessing.ts'
import {
  approximateActivations,
  type Approximation,
  type ApproximationOptions,
} from './approximate-activations.ts'
import { measureRanges, type ValueRanges } from './measure-ranges.ts'
import { rescaleCandidates } from './rescale-policy.ts'
import {
  selectParameters,
  type ParameterChoice,
  type SelectParametersOptions,
} from './select-parameters.ts'
import { SlotsExceededError } from './slots-exceeded-error.ts'
import { countOps, type HePlan } from './plan/plan.ts'
import type { HeParameters } from './he-parameters.ts'
import { planFlooding, type FloodingPlan, type FloodNoiseOptions } from './flooding.ts'
import { compileBatch, type BatchOptions, type CompiledBatch } from './batch/compile-batch.ts'
import { packingCosts } from './batch/packing-cost.ts'
import { checkSplitParts, compileSplit, type CompiledSplit } from './split/split-plan.ts'

export interface CompileOptions
  extends
    Omit<LowerOptions, 'slotCount' | 'preActivationMaxAbs'>,
    SelectParametersOptions,
    BatchOptions {
  /** Calibration inputs (flattened, model input size each). Default: 16 seeded random vectors in [0, 1]. */
  calibration?: ReadonlyArray<ArrayLike<number>>
  /** Force a ring dimension instead of the smallest that fits. */
  polyModulusDegree?: number
  /** How non-polynomial activations are fitted (degree, error target, margin). */
  approximation?: ApproximationOptions
  /**
   * Use these parameters instead of selecting them (models/<id>/compile.json pins what
   * `privinfer import` chose, so start-up needs no calibration data). Their ring fixes N and their
   * chain the depth: a lazy-output candidate of another depth is skipped.
   */
  parameters?: HeParameters
  /**
   * Noise flooding of every result (circuit privacy, flooding.ts): the service re-randomizes it with
   * an encryption of zero under the client's public key and adds uniform noise 2^λ times the circuit
   * noise bound. Off by default; the card states λ and the precision cost.
   */
  floodNoise?: FloodNoiseOptions
  /**
   * Also compile the query split into this many part plans (hidden-unit blocks, split-plan.ts), run
   * on idle workers side by side and merged by an addition. Default: none.
   */
  split?: number
}

export interface CompiledModel {
  formatVersion: 1
  /** The model as imported (exact activations: the float64 twin of the ONNX file). */
  layerModel: LayerModel
  /** The model the plan computes: activations replaced by polynomials (= layerModel if none). */
  approximatedModel: LayerModel
  /** Every approximated activation (function, degree, range, fit error). */
  approximations: Approximation[]
  /** The approximated model against the original on the calibration inputs (float64). */
  approximationCheck: ApproximationCheck
  plan: HePlan
  parameters: HeParameters
  inputLayout: InputLayout
  outputLayout: OutputLayout
  galoisSteps: number[]
  depth: number
  reasons: string[]
  opCounts: Record<string, number>
  /**
   * The batch plan (options.batch): up to maxBatch inputs per query on the same parameters. Its
   * Galois steps are part of `galoisSteps` (one key set serves every plan of the model).
   */
  batch?: CompiledBatch
  /** The part plans of a split query (options.split); their steps are part of `galoisSteps`. */
  split?: CompiledSplit
  /** Options the model was compiled with (without calibration data), for the card and the cache. */
  options: Omit<CompileOptions, 'calibration'>
  calibration: { inputs: number; generated: boolean; outputMaxAbs: number }
  /** Present when compiled with `floodNoise`: the flood the service adds and its cost. */
  flooding?: FloodingPlan
}

const RINGS = [4096, 8192, 16384, 32768]

export interface ApproximationCheck {
  inputs: number
  /** Fraction of calibration inputs whose decision (argmax, or output > 0 for one output) agrees. */
  agreement: number
  /** max |approximated − original| over the outputs. */
  maxAbsDifference: number
}

function checkApproximation(
  original: LayerModel,
  approximated: LayerModel,
  inputs: ReadonlyArray<ArrayLike<number>>,
): ApproximationCheck {
  let agree = 0
  let maxAbsDifference = 0
  for (const input of inputs) {
    const exact = evaluateLayerModel(original, input)
    const approximate = original === approximated ? exact : evaluateLayerModel(approximated, input)
    if (decisionOf(exact) === decisionOf(approximate)) agree++
    for (let j = 0; j < exact.length; j++)
      maxAbsDifference = Math.max(maxAbsDifference, Math.abs(exact[j] - approximate[j]))
  }
  return { inputs: inputs.length, agreement: agree / Math.max(inputs.length, 1), maxAbsDifference }
}

/** Seeded uniform [0, 1) vectors (mulberry32) for the default calibration. */
export function defaultCalibration(inputSize: number, count = 16, seed = 1): Float64Array[] {
  const next = seededRandom(seed)
  return Array.from({ length: count }, () => Float64Array.from({ length: inputSize }, next))
}

/** max |pre-activation| per poly layer index, by the float64 forward pass of the LayerModel. */
function preActivationRanges(
  model: LayerModel,
  inputs: ReadonlyArray<ArrayLike<number>>,
): Map<number, number> {
  const ranges = new Map<number, number>()
  for (const input of inputs) {
    evaluateLayerModel(model, input, (index, layerInput) => {
      if (model.layers[index].kind !== 'poly') return
      let max = ranges.get(index) ?? 0
      for (const v of layerInput) max = Math.max(max, Math.abs(v))
      ranges.set(index, max)
    })
  }
  return ranges
}

/** The given calibration inputs (checked) or the default ones. */
function calibrationOf(
  model: LayerModel,
  given: CompileOptions['calibration'],
): ReadonlyArray<ArrayLike<number>> {
  const calibration = given ?? defaultCalibration(model.inputSize)
  for (const input of calibration) {
    if (input.length !== model.inputSize) {
      throw new PrivinferError(
        'INPUT_INVALID',
        `calibration vectors must have ${model.inputSize} values, got ${input.length}`,
      )
    }
  }
  return calibration
}

/** One ring and lazy-output setting that fits, or why it was rejected. */
type Attempt =
  | {
      fits: true
      lowered: LoweredModel
      ranges: ValueRanges
      choice: Pick<ParameterChoice, 'parameters' | 'reasons'>
    }
  | { fits: false; rejected: string; precision?: { tolerance: number; target: number } }

function rescaleLabel(options: { lazyOutput?: boolean; lazyRescale?: boolean }): string {
  if (options.lazyOutput) return 'lazy output'
  return options.lazyRescale === false ? 'eager rescaling' : 'lazy first product'
}

/**
 * Lowers the steps for one ring and selects (or checks pinned) parameters for it.
 * @throws PrivinferError PLAN_INVALID when pinned parameters fit neither candidate depth.
 */
function tryRing(
  completed: CompletedSquares,
  ring: number,
  options: Omit<LowerOptions, 'slotCount'> & SelectParametersOptions,
  calibration: ReadonlyArray<ArrayLike<number>>,
  pinned: HeParameters | undefined,
  isLastCandidate: boolean,
  isOneOfSeveral: boolean,
): Attempt {
  let lowered: LoweredModel
  try {
    lowered = lowerSteps(completed.steps, completed.reasons, { ...options, slotCount: ring / 2 })
  } catch (error) {
    // Only "does not fit these slots" moves on to a larger ring; anything else is a real error.
    if (!(error instanceof SlotsExceededError)) throw error
    return { fits: false, rejected: `N=${ring}: ${error.message}` }
  }
  const ranges = measureRanges(lowered.plan, calibration)
  if (pinned) {
    if (pinned.coeffModulusBits.length === lowered.plan.depth + 2) {
      const reasons = [
        `parameters pinned (compile.json): N = ${pinned.polyModulusDegree}, primes [${pinned.coeffModulusBits.join(', ')}], scale 2^${pinned.scaleBits}`,
      ]
      return { fits: true, lowered, ranges, choice: { parameters: pinned, reasons } }
    }
    if (isLastCandidate) {
      throw new PrivinferError(
        'PLAN_INVALID',
        `pinned parameters have ${pinned.coeffModulusBits.length - 2} levels, the plan needs ${lowered.plan.depth}`,
      )
    }
    return {
      fits: false,
      rejected: `N=${ring}, ${rescaleLabel(options)}: the pinned chain has ${pinned.coeffModulusBits.length - 2} levels`,
    }
  }
  const selection = selectParameters(lowered.plan, ranges, ring, options)
  if (selection.fits) return { fits: true, lowered, ranges, choice: selection.choice }
  const label = isOneOfSeveral ? `N=${ring}, ${rescaleLabel(options)}` : `N=${ring}`
  if (selection.precision !== undefined) {
    const { tolerance, target } = selection.precision
    return {
      fits: false,
      precision: selection.precision,
      rejected: `${label}: best tolerance ${tolerance.toPrecision(3)} > precision target ${target.toPrecision(3)}`,
    }
  }
  return {
    fits: false,
    rejected:
      options.lazyOutput && isOneOfSeveral
        ? `N=${ring}, lazy output: its q0 cannot hold the output at >= 24-bit input scale`
        : `${label}: depth ${lowered.plan.depth} does not fit the ${ring}-ring 128-bit budget`,
  }
}

/**
 * A flooded result needs room above the output in q0 (flooding.ts): two more bits by default
 * (headroom margin 8 instead of 2), enough for λ up to about 10 on the bundled models.
 * @throws PrivinferError OPTION_INVALID for flooding with batch or split plans, whose results the
 *   service does not flood.
 */
function withFloodingDefaults<
  T extends Omit<CompileOptions, 'calibration' | 'polyModulusDegree' | 'parameters'>,
>(requested: T): T {
  if (requested.floodNoise === undefined) return requested
  if (requested.batch !== undefined || requested.split !== undefined) {
    throw new PrivinferError(
      'OPTION_INVALID',
      'floodNoise does not combine with batch or split plans: their results would not be flooded',
    )
  }
  return requested.headroomMargin === undefined ? { ...requested, headroomMargin: 8 } : requested
}

/** What compileLayerModel settled on before the ring and rescale policy that fits. */
interface CompileContext {
  layerModel: LayerModel
  approximated: ReturnType<typeof approximateActivations>
  completed: CompletedSquares
  calibration: ReadonlyArray<ArrayLike<number>>
  generated: boolean
  /** The rings and policies rejected before this one, as reasons. */
  tried: string[]
  rest: Omit<CompileOptions, 'calibration' | 'polyModulusDegree' | 'parameters'>
  resolved: Omit<CompileOptions, 'calibration' | 'polyModulusDegree' | 'parameters'>
  polyModulusDegree: number | undefined
}

/** The compiled model from the first fitting attempt: flooding, batch and split plans, reasons. */
function assemble(
  attempt: Extract<Attempt, { fits: true }>,
  context: CompileContext,
): CompiledModel {
  const { layerModel, approximated, completed, calibration, generated, tried, rest, resolved } =
    context
  const { polyModulusDegree } = context
  const approximatedModel = approximated.model
  const { plan, reasons: lowerReasons } = attempt.lowered
  const flooding =
    rest.floodNoise === undefined
      ? undefined
      : planFlooding(attempt.choice.parameters, plan, attempt.ranges, rest.floodNoise)
  const { batch: _batch, packing: _packing, split: _split, ...lowerOptions } = resolved
  const batch = compileBatch(
    {
      steps: completed.steps,
      lowerOptions,
      parameters: attempt.choice.parameters,
      calibration,
      headroomMargin: rest.headroomMargin ?? 2,
    },
    { batch: rest.batch, packing: rest.packing },
    packingCosts(),
  )
  const { split, splitReasons } =
    rest.split === undefined
      ? { split: undefined, splitReasons: [] }
      : splitPlan(rest.split, {
          steps: completed.steps,
          lowerOptions,
          single: plan,
          parameters: attempt.choice.parameters,
          calibration,
          headroomMargin: rest.headroomMargin ?? 2,
        })
  const galoisSteps = [
    ...new Set([
      ...plan.galoisSteps,
      ...batchGaloisSteps(batch),
      ...(split?.parts.flatMap((part) => part.galoisSteps) ?? []),
    ]),
  ].sort((a, b) => a - b)
  const reasons = [
    generated
      ? `no calibration given: ${calibration.length} random inputs in [0, 1] set the value ranges`
      : `calibrated on ${calibration.length} inputs`,
    ...tried.map((line) => `rejected ${line}`),
    ...attempt.choice.reasons,
    ...lowerReasons,
    ...(batch?.reasons ?? []),
    ...splitReasons,
    `Galois steps ${galoisSteps.join(', ')}`,
  ]
  return {
    formatVersion: 1,
    layerModel,
    approximatedModel,
    approximations: approximated.approximations,
    approximationCheck: checkApproximation(layerModel, approximatedModel, calibration),
    plan,
    parameters: attempt.choice.parameters,
    inputLayout: plan.inputLayout,
    outputLayout: plan.outputLayout,
    galoisSteps,
    depth: plan.depth,
    reasons,
    opCounts: countOps(plan),
    ...(batch === undefined ? {} : { batch }),
    ...(split === undefined ? {} : { split }),
    options: { ...resolved, ...(polyModulusDegree === undefined ? {} : { polyModulusDegree }) },
    calibration: {
      inputs: calibration.length,
      generated,
      outputMaxAbs: attempt.ranges.outputMaxAbs,
    },
    ...(flooding === undefined ? {} : { flooding }),
  }
}

/**
 * Compiles a LayerModel (no ONNX involved: used by tests and by compileModel).
 * @throws PrivinferError PLAN_INVALID (unsupported structure), NO_PARAMETERS_FIT (no ring fits),
 *   PRECISION_NOT_MET (chains fit, but none meets options.outputPrecision), INPUT_INVALID
 *   (calibration vectors of the wrong size).
 */
export function compileLayerModel(
  layerModel: LayerModel,
  options: CompileOptions = {},
): CompiledModel {
  const {
    calibration: given,
    polyModulusDegree: forcedRing,
    parameters: pinned,
    ...requested
  } = options
  const rest = withFloodingDefaults(requested)
  const polyModulusDegree = pinned?.polyModulusDegree ?? forcedRing
  const generated = given === undefined
  const calibration = calibrationOf(layerModel, given)
  const approximated = approximateActivations(layerModel, calibration, options.approximation)
  const approximatedModel = approximated.model
  const completed = completeSquares(approximatedModel, {
    preActivationMaxAbs: preActivationRanges(approximatedModel, calibration),
  })
  completed.reasons.unshift(...approximated.reasons)
  const tried: string[] = []
  let precisionMiss: { tolerance: number; target: number } | undefined
  const candidates = rescaleCandidates(rest)
  for (const ring of polyModulusDegree === undefined ? RINGS : [polyModulusDegree]) {
    for (const [index, rescale] of candidates.entries()) {
      const resolved = { ...rest, ...rescale }
      const isLast = index === candidates.length - 1
      const attempt = tryRing(
        completed,
        ring,
        resolved,
        calibration,
        pinned,
        isLast,
        candidates.length > 1,
      )
      if (!attempt.fits) {
        tried.push(attempt.rejected)
        if (
          attempt.precision &&
          (!precisionMiss || attempt.precision.tolerance < precisionMiss.tolerance)
        )
          precisionMiss = attempt.precision
        continue
      }
      return assemble(attempt, {
        layerModel,
        approximated,
        completed,
        calibration,
        generated,
        tried,
        rest,
        resolved,
        polyModulusDegree,
      })
    }
  }
  if (precisionMiss !== undefined) {
    throw new PrivinferError(
      'PRECISION_NOT_MET',
      `no CKKS parameters meet the output precision at 128-bit security (best tolerance ${precisionMiss.tolerance.toPrecision(3)} > target ${precisionMiss.target.toPrecision(3)}): ${tried.join('; ')}`,
      { tried, ...precisionMiss },
    )
  }
  throw new PrivinferError(
    'NO_PARAMETERS_FIT',
    `no CKKS parameters fit this model at 128-bit security: ${tried.join('; ')}`,
    { tried },
  )
}

/** The split plan asked for, or the reason it was not made (the single plan serves alone). */
function splitPlan(
  parts: number,
  input: Parameters<typeof compileSplit>[0],
): { split: CompiledSplit | undefined; splitReasons: string[] } {
  checkSplitParts(parts)
  const attempt = compileSplit(input, parts)
  return 'split' in attempt
    ? { split: attempt.split, splitReasons: [...attempt.split.reasons] }
    : { split: undefined, splitReasons: [attempt.rejected] }
}

/** Rotation steps of a batch plan (none for the features packing). */
function batchGaloisSteps(batch: CompiledBatch | undefined): number[] {
  return batch?.packing === 'lanes' ? batch.plan.galoisSteps : []
}

/** Imports ONNX bytes and compiles them (see compileLayerModel). */
export function compileModel(onnxBytes: Uint8Array, options: CompileOptions = {}): CompiledModel {
  return compileLayerModel(importOnnx(onnxBytes), options)
}
