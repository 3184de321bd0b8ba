/**
 * Replaces every non-polynomial activation of a LayerModel by a fitted polynomial, and every
 * polynomial of degree > 2 by the same polynomial in the Chebyshev basis, both as ChebyshevLayers
 * (ir.ts): one polynomial per feature, on that feature's calibrated interval.
 *
 * Per feature j: the calibration inputs give the range [lo_j, hi_j] of its pre-activation; the
 * interval is that range widened by `margin` of its half-width on each side, mapped to [-1, 1]. A
 * fit (chebyshev-fit.ts: least squares on the calibration samples plus Chebyshev nodes of the whole
 * interval) of the smallest degree 2^k − 1 (depth k: nothing is wasted in the evaluation tree)
 * whose relative RMS error on the calibration samples meets `errorTarget`, up to `maxDegree`; or
 * the degree set by `degree`. Layers are fitted in order, each on the inputs the approximated
 * layers before it produce, which is what the HE plan computes.
 *
 * Outside the interval a polynomial grows like T_d(|t|) (T_7(1.2) ≈ 39), so a value past the
 * margin is garbage: the margin (FIT_MARGIN, measured below) is the guard, and the card reports
 * the interval (docs/design.md "Outside the calibrated range").
 */
import type { ApproximatedNode } from '../../core/card.ts'
import { PrivinferError } from '../../core/errors.ts'
import { unreachable } from '../../core/unreachable.ts'
import {
  chebyshevNodes,
  fitChebyshev,
  powerToChebyshev,
  substituteAffine,
} from './chebyshev-fit.ts'
import { describeElementwise, evaluateElementwise, type Elementwise } from './elementwise.ts'
import { evaluateChebyshevLayer, evaluateLayer } from './evaluate-layer-model.ts'
import { polynomialDegree, trimPolynomial } from './front/polynomial.ts'
import type { ChebyshevLayer, Layer, LayerModel } from './ir.ts'

export interface ApproximationOptions {
  /** Degree of every fitted activation; default: chosen from `errorTarget`. */
  degree?: number
  /** Relative RMS fit error on the calibration samples to reach (default 0.01). */
  errorTarget?: number
  /** Largest degree the error target may choose (default 31: 5 levels). */
  maxDegree?: number
  /** Interval margin, a fraction of each feature's calibrated half-range on each side (default FIT_MARGIN = 2). */
  margin?: number
  /** Weight λ of the interval's Chebyshev nodes against the samples (default 0.1). */
  nodeWeight?: number
  /**
   * Polynomials fitted before (compile.json keeps them), used instead of fitting again for the
   * activation of the same layer name: a loaded model evaluates the polynomials its import checked,
   * whatever calibration the loader has.
   */
  fitted?: readonly ChebyshevLayer[]
}

/**
 * What was approximated, for `privinfer import` and the model card (core/card.ts ApproximatedNode,
 * which adds the ONNX op types): `layer` is the layer name, the ONNX node names joined by '+'.
 */
export type Approximation = Omit<ApproximatedNode, 'node' | 'ops'> & { layer: string }

export interface ApproximatedModel {
  model: LayerModel
  approximations: Approximation[]
  reasons: string[]
}

/** Degrees tried by the error target: 2^k − 1 uses every level of its depth k. */
const DEGREES = [3, 7, 15, 31]
const GRID = 201

/**
 * Default margin of a fitted activation: each feature's interval is 3x its calibrated range. 64
 * calibration images leave ~1% of the 1,000 fixed Fashion-MNIST test images' pre-activations
 * outside a feature's range + 30%, where a degree-15 fit grows like T_15(t) (35 at t = 1.1, 1e7 at
 * t = 2 for mlp-relu): argmax agreement of the approximated mlp-relu with onnxruntime was 92.1%
 * (max |diff| 2e7). At margin 2 and degree 31: 99.5% (max |diff| 0.50); mlp-sigmoid 99.4%,
 * mlp-tanh 99.1% (vs 93.3%, 97.5%; float64, docs/design.md "Outside the calibrated range").
 */
export const FIT_MARGIN = 2

/**
 * @throws PrivinferError INPUT_INVALID without calibration inputs when something is approximated.
 */
export function approximateActivations(
  model: LayerModel,
  calibration: ReadonlyArray<ArrayLike<number>>,
  options: ApproximationOptions = {},
): ApproximatedModel {
  const needs = model.layers.some(
    (layer) =>
      layer.kind === 'activation' ||
      (layer.kind === 'poly' && polynomialDegree(layer.coefficients) > 2),
  )
  if (!needs) return { model, approximations: [], reasons: [] }
  if (calibration.length === 0) {
    throw new PrivinferError('INPUT_INVALID', 'approximating activations needs calibration inputs')
  }
  const approximations: Approximation[] = []
  const reasons: string[] = []
  const layers: Layer[] = []
  let values: Float64Array[] = calibration.map((input) => Float64Array.from(input))
  for (const layer of model.layers) {
    const replacement = approximateLayer(layer, values, options)
    if (replacement !== undefined) {
      layers.push(replacement.layer)
      approximations.push(replacement.approximation)
      reasons.push(describeApproximation(replacement.approximation))
    } else {
      layers.push(layer)
    }
    const applied = layers[layers.length - 1]
    values = values.map((vector) => evaluateLayer(applied, vector))
  }
  return { model: { ...model, layers }, approximations, reasons }
}

function describeApproximation(a: Approximation): string {
  const [lo, hi] = a.range.map((v) => v.toPrecision(3))
  return a.method === 'exact'
    ? `${a.layer}: trained polynomial ${a.function} of degree ${a.degree}, exact in the Chebyshev basis on each feature's interval (range [${lo}, ${hi}])`
    : `${a.layer}: ${a.function} fitted by degree-${a.degree} polynomials, one per feature, on the calibrated range [${lo}, ${hi}] + ${Math.round(100 * a.margin)}% margin: max fit error ${a.maxFitError.toPrecision(3)}, relative RMS error ${a.relativeRmsError.toPrecision(3)} on the calibration inputs`
}

/** The ChebyshevLayer replacing `layer`, or undefined to keep it. */
function approximateLayer(
  layer: Layer,
  inputs: readonly Float64Array[],
  options: ApproximationOptions,
): { layer: ChebyshevLayer; approximation: Approximation } | undefined {
  switch (layer.kind) {
    case 'linear':
    case 'chebyshev':
      return undefined
    case 'poly':
      if (polynomialDegree(layer.coefficients) <= 2) return undefined
      return convertPolynomial(layer.name, trimPolynomial(layer.coefficients), inputs, options)
    case 'activation': {
      const fitted = options.fitted?.find(
        (candidate) =>
          candidate.name === layer.name && candidate.center.length === inputs[0].length,
      )
      if (fitted !== undefined) return reuseFit(fitted, layer.function, inputs, options)
      return fitActivation(layer.name, layer.function, inputs, options)
    }
    default:
      return unreachable(layer)
  }
}

/** Per-feature intervals from the calibration inputs: center and half-width with the margin. */
function intervalsOf(inputs: readonly Float64Array[], margin: number) {
  const size = inputs[0].length
  const lo = new Float64Array(size).fill(Infinity)
  const hi = new Float64Array(size).fill(-Infinity)
  for (const vector of inputs) {
    for (let j = 0; j < size; j++) {
      lo[j] = Math.min(lo[j], vector[j])
      hi[j] = Math.max(hi[j], vector[j])
    }
  }
  const center = new Float64Array(size)
  const halfWidth = new Float64Array(size)
  for (let j = 0; j < size; j++) {
    center[j] = (lo[j] + hi[j]) / 2
    // A feature that is constant on the calibration data still gets an interval around it.
    const half = Math.max((hi[j] - lo[j]) / 2, 1e-3 * Math.max(1, Math.abs(center[j])))
    halfWidth[j] = half * (1 + margin)
  }
  let min = Infinity
  let max = -Infinity
  let intervalMin = Infinity
  let intervalMax = -Infinity
  for (let j = 0; j < size; j++) {
    min = Math.min(min, lo[j])
    max = Math.max(max, hi[j])
    intervalMin = Math.min(intervalMin, center[j] - halfWidth[j])
    intervalMax = Math.max(intervalMax, center[j] + halfWidth[j])
  }
  return {
    center,
    halfWidth,
    range: [min, max] as [number, number],
    interval: [intervalMin, intervalMax] as [number, number],
  }
}

/** max |layer − f| on a grid of every feature's interval, and the relative RMS error on `inputs`. */
function fitErrors(
  layer: ChebyshevLayer,
  f: (x: number) => number,
  inputs: readonly Float64Array[],
): { maxFitError: number; relativeRmsError: number } {
  let maxFitError = 0
  for (let j = 0; j < layer.center.length; j++) {
    for (let g = 0; g < GRID; g++) {
      const x = layer.center[j] + layer.halfWidth[j] * (-1 + (2 * g) / (GRID - 1))
      maxFitError = Math.max(maxFitError, Math.abs(evaluateChebyshevLayer(layer, j, x) - f(x)))
    }
  }
  let error = 0
  let norm = 0
  for (const vector of inputs) {
    for (let j = 0; j < vector.length; j++) {
      const exact = f(vector[j])
      error += (evaluateChebyshevLayer(layer, j, vector[j]) - exact) ** 2
      norm += exact * exact
    }
  }
  return { maxFitError, relativeRmsError: Math.sqrt(error / Math.max(norm, 1e-300)) }
}

function fitActivation(
  name: string,
  fn: Elementwise,
  inputs: readonly Float64Array[],
  options: ApproximationOptions,
): { layer: ChebyshevLayer; approximation: Approximation } {
  const margin = options.margin ?? FIT_MARGIN
  const { center, halfWidth, range, interval } = intervalsOf(inputs, margin)
  const f = (x: number) => evaluateElementwise(fn, x)
  const maxDegree = options.maxDegree ?? 31
  const candidates =
    options.degree !== undefined ? [options.degree] : DEGREES.filter((d) => d <= maxDegree)
  if (candidates.length === 0) candidates.push(maxDegree)
  const target = options.errorTarget ?? 0.01
  let best: { layer: ChebyshevLayer; errors: ReturnType<typeof fitErrors> } | undefined
  for (const degree of candidates) {
    const layer = fitLayer(name, f, inputs, center, halfWidth, degree, options.nodeWeight ?? 0.1)
    const errors = fitErrors(layer, f, inputs)
    best = { layer, errors }
    if (errors.relativeRmsError <= target) break
  }
  const { layer, errors } = best as NonNullable<typeof best>
  return {
    layer,
    approximation: {
      layer: name,
      function: describeElementwise(fn),
      method: 'fit',
      degree: layer.coefficients.length - 1,
      range,
      interval,
      margin,
      ...errors,
    },
  }
}

/** A polynomial fitted before, with its errors on `inputs` (the intervals are its own). */
function reuseFit(
  layer: ChebyshevLayer,
  fn: Elementwise,
  inputs: readonly Float64Array[],
  options: ApproximationOptions,
): { layer: ChebyshevLayer; approximation: Approximation } {
  const { range } = intervalsOf(inputs, 0)
  let lo = Infinity
  let hi = -Infinity
  for (let j = 0; j < layer.center.length; j++) {
    lo = Math.min(lo, layer.center[j] - layer.halfWidth[j])
    hi = Math.max(hi, layer.center[j] + layer.halfWidth[j])
  }
  return {
    layer,
    approximation: {
      layer: layer.name,
      function: describeElementwise(fn),
      method: 'fit',
      degree: layer.coefficients.length - 1,
      range,
      interval: [lo, hi],
      margin: options.margin ?? FIT_MARGIN,
      ...fitErrors(layer, (x) => evaluateElementwise(fn, x), inputs),
    },
  }
}

function fitLayer(
  name: string,
  f: (x: number) => number,
  inputs: readonly Float64Array[],
  center: Float64Array,
  halfWidth: Float64Array,
  degree: number,
  nodeWeight: number,
): ChebyshevLayer {
  const size = center.length
  const coefficients = Array.from({ length: degree + 1 }, () => new Float64Array(size))
  const samples = new Float64Array(inputs.length)
  const values = new Float64Array(inputs.length)
  for (let j = 0; j < size; j++) {
    inputs.forEach((vector, i) => {
      samples[i] = (vector[j] - center[j]) / halfWidth[j]
      values[i] = f(vector[j])
    })
    const c = fitChebyshev({
      samples,
      values,
      f: (t) => f(center[j] + halfWidth[j] * t),
      degree,
      nodeWeight,
    })
    for (let k = 0; k <= degree; k++) coefficients[k][j] = c[k]
  }
  return { kind: 'chebyshev', name, center, halfWidth, coefficients }
}

function convertPolynomial(
  name: string,
  power: readonly number[],
  inputs: readonly Float64Array[],
  options: ApproximationOptions,
): { layer: ChebyshevLayer; approximation: Approximation } {
  const margin = options.margin ?? 0.3
  const { center, halfWidth, range, interval } = intervalsOf(inputs, margin)
  const degree = power.length - 1
  const coefficients = Array.from({ length: degree + 1 }, () => new Float64Array(center.length))
  for (let j = 0; j < center.length; j++) {
    const series = powerToChebyshev(substituteAffine(power, center[j], halfWidth[j]))
    for (let k = 0; k <= degree; k++) coefficients[k][j] = series[k] ?? 0
  }
  const layer: ChebyshevLayer = { kind: 'chebyshev', name, center, halfWidth, coefficients }
  const f = (x: number) => power.reduceRight((sum, c) => sum * x + c, 0)
  return {
    layer,
    approximation: {
      layer: name,
      function: describeElementwise({ kind: 'polynomial', coefficients: power }),
      method: 'exact',
      degree,
      range,
      interval,
      margin,
      ...fitErrors(layer, f, inputs),
    },
  }
}

/** The Chebyshev nodes used by the fit (re-exported for tests). */
export { chebyshevNodes }
