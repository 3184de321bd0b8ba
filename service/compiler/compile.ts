/**
 * ONNX bytes → CompiledModel: import (onnx-import.ts), fold activations, lower, calibrate value
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
import { lowerLayerModel, type LowerOptions } from './lower.ts'
import { measureRanges } from './measure-ranges.ts'
import { selectParameters, type SelectParametersOptions } from './select-parameters.ts'
import { countOps, type HePlan } from './plan.ts'
import type { HeParameters } from './he-parameters.ts'

export interface CompileOptions
  extends Omit<LowerOptions, 'slotCount' | 'preActivationMaxAbs'>, SelectParametersOptions {
  /** Calibration inputs (flattened, model input size each). Default: 16 seeded random vectors in [0, 1]. */
  calibration?: ReadonlyArray<ArrayLike<number>>
  /** Force a ring dimension instead of the smallest that fits. */
  polyModulusDegree?: number
  /**
   * Use these parameters instead of selecting them (models/<id>/compile.json pins what
   * `privinfer import` chose, so start-up needs no calibration data). Their ring fixes N.
   */
  parameters?: HeParameters
}

export interface CompiledModel {
  formatVersion: 1
  layerModel: LayerModel
  plan: HePlan
  parameters: HeParameters
  inputLayout: InputLayout
  outputLayout: OutputLayout
  galoisSteps: number[]
  depth: number
  reasons: string[]
  opCounts: Record<string, number>
  /** Options the model was compiled with (without calibration data), for the card and the cache. */
  options: Omit<CompileOptions, 'calibration'>
  calibration: { inputs: number; generated: boolean; outputMaxAbs: number }
}

const RINGS = [4096, 8192, 16384, 32768]

/** Seeded uniform [0, 1) vectors (mulberry32) for the default calibration. */
export function defaultCalibration(inputSize: number, count = 16, seed = 1): Float64Array[] {
  const next = seededRandom(seed)
  return Array.from({ length: count }, () => Float64Array.from({ length: inputSize }, next))
}

/** max |pre-activation| per poly layer index, by dense float64 evaluation of the LayerModel. */
function preActivationRanges(
  model: LayerModel,
  inputs: ReadonlyArray<ArrayLike<number>>,
): Map<number, number> {
  const ranges = new Map<number, number>()
  for (const input of inputs) {
    let x = Float64Array.from(input)
    model.layers.forEach((layer, index) => {
      if (layer.kind === 'linear') {
        const y = Float64Array.from(layer.bias)
        for (let i = 0; i < layer.outFeatures; i++) {
          let sum = 0
          for (let j = 0; j < layer.inFeatures; j++)
            sum += layer.weights[i * layer.inFeatures + j] * x[j]
          y[i] += sum
        }
        x = y
      } else {
        let max = ranges.get(index) ?? 0
        for (const v of x) max = Math.max(max, Math.abs(v))
        ranges.set(index, max)
        x = x.map((v) => layer.coefficients.reduceRight((acc, c) => acc * v + c, 0))
      }
    })
  }
  return ranges
}

/**
 * Compiles a LayerModel (no ONNX involved: used by tests and by compileModel).
 * @throws PrivinferError PLAN_INVALID (unsupported structure), NO_PARAMETERS_FIT (no ring fits),
 *   INPUT_INVALID (calibration vectors of the wrong size).
 */
export function compileLayerModel(
  layerModel: LayerModel,
  options: CompileOptions = {},
): CompiledModel {
  const { calibration: given, polyModulusDegree: forcedRing, parameters: pinned, ...rest } = options
  const polyModulusDegree = pinned?.polyModulusDegree ?? forcedRing
  const generated = given === undefined
  const calibration = given ?? defaultCalibration(layerModel.inputSize)
  for (const input of calibration) {
    if (input.length !== layerModel.inputSize) {
      throw new PrivinferError(
        'INPUT_INVALID',
        `calibration vectors must have ${layerModel.inputSize} values, got ${input.length}`,
      )
    }
  }
  const preActivationMaxAbs = preActivationRanges(layerModel, calibration)
  const tried: string[] = []
  // Lazy output (depth 1 for one hidden layer) first, unless set: it falls back to the standard
  // chain when its single q0 cannot hold the output at a useful input scale.
  const lazyCandidates =
    rest.lazyOutput !== undefined || rest.strategy === 'baseline'
      ? [rest.lazyOutput ?? false]
      : [true, false]
  for (const ring of polyModulusDegree === undefined ? RINGS : [polyModulusDegree]) {
    for (const lazyOutput of lazyCandidates) {
      const resolved = { ...rest, lazyOutput }
      let lowered
      try {
        lowered = lowerLayerModel(layerModel, {
          ...resolved,
          slotCount: ring / 2,
          preActivationMaxAbs,
        })
      } catch (error) {
        tried.push(`N=${ring}: ${(error as Error).message}`)
        continue
      }
      const ranges = measureRanges(lowered.plan, calibration)
      const choice = pinned
        ? {
            parameters: pinned,
            reasons: [
              `parameters pinned (compile.json): N = ${pinned.polyModulusDegree}, primes [${pinned.coeffModulusBits.join(', ')}], scale 2^${pinned.scaleBits}`,
            ],
          }
        : selectParameters(lowered.plan, ranges, ring, resolved)
      if (pinned && pinned.coeffModulusBits.length !== lowered.plan.depth + 2) {
        // A record written before lazy output became the default has no lazyOutput option: its
        // pinned chain then matches the next candidate (the standard chain), so try that first.
        const isLastCandidate = lazyOutput === lazyCandidates[lazyCandidates.length - 1]
        if (!isLastCandidate) {
          tried.push(
            `N=${ring}, lazy output: the pinned chain has ${pinned.coeffModulusBits.length - 2} levels`,
          )
          continue
        }
        throw new PrivinferError(
          'PLAN_INVALID',
          `pinned parameters have ${pinned.coeffModulusBits.length - 2} levels, the plan needs ${lowered.plan.depth}`,
        )
      }
      if (choice === undefined) {
        tried.push(
          lazyOutput && lazyCandidates.length > 1
            ? `N=${ring}, lazy output: its q0 cannot hold the output at >= 24-bit input scale`
            : `N=${ring}: depth ${lowered.plan.depth} does not fit the ${ring}-ring 128-bit budget`,
        )
        continue
      }
      const { plan } = lowered
      const reasons = [
        ...(generated
          ? [
              `no calibration given: ${calibration.length} random inputs in [0, 1] set the value ranges`,
            ]
          : [`calibrated on ${calibration.length} inputs`]),
        ...tried.map((line) => `rejected ${line}`),
        ...choice.reasons,
        ...lowered.reasons,
        `Galois steps ${plan.galoisSteps.join(', ')}`,
      ]
      return {
        formatVersion: 1,
        layerModel,
        plan,
        parameters: choice.parameters,
        inputLayout: plan.inputLayout,
        outputLayout: plan.outputLayout,
        galoisSteps: plan.galoisSteps,
        depth: plan.depth,
        reasons,
        opCounts: countOps(plan),
        options: { ...resolved, ...(polyModulusDegree === undefined ? {} : { polyModulusDegree }) },
        calibration: { inputs: calibration.length, generated, outputMaxAbs: ranges.outputMaxAbs },
      }
    }
  }
  throw new PrivinferError(
    'NO_PARAMETERS_FIT',
    `no CKKS parameters fit this model at 128-bit security: ${tried.join('; ')}`,
    { tried },
  )
}

/** Imports ONNX bytes and compiles them (see compileLayerModel). */
export function compileModel(onnxBytes: Uint8Array, options: CompileOptions = {}): CompiledModel {
  return compileLayerModel(importOnnx(onnxBytes), options)
}
