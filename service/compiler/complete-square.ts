/**
 * Completes the squares: rewrites a LayerModel (ir.ts) into the step IR (step-ir.ts), dense maps
 * and squares only.
 *
 * A quadratic activation a·x² + b·x + d (a ≠ 0) is evaluated as a·(x + c)² + (d − a·c²) with
 * c = b / 2a: +c goes into the previous linear layer's bias, a and the constant are absorbed by the next
 * linear layer (W' = a·W, b' = b + W·(d − a c²)·1), leaving a bare square (one level). When |c| is
 * large next to the calibrated range of x (> `shiftLimit` · max|x|), the shift would cost precision,
 * so the step is x² + (b/a)·x instead (same depth, one extra plaintext product). Linear activations
 * (a = 0) are absorbed by their neighbours entirely; consecutive linear layers are multiplied out.
 * Chebyshev layers (approximate-activations.ts) become Chebyshev steps, their per-feature
 * normalization absorbed by the previous dense step. Poly layers above degree 2 are converted to
 * Chebyshev layers before (PLAN_INVALID here).
 */
import { PrivinferError } from '../../core/errors.ts'
import { composeWindows, type WindowGeometry } from '../../core/layout/window-geometry.ts'
import { unreachable } from '../../core/unreachable.ts'
import type { ChebyshevLayer, LayerModel, LinearLayer, PolyLayer } from './ir.ts'
import { polynomialDegree } from './front/polynomial.ts'
import type { DenseStep, Step } from './step-ir.ts'

export interface CompleteSquareOptions {
  /** max |pre-activation| per poly layer index (from calibration), to decide completing the square. */
  preActivationMaxAbs?: ReadonlyMap<number, number>
  /** Complete the square only when |c| <= shiftLimit · max|x| (default 1). */
  shiftLimit?: number
}

export interface CompletedSquares {
  steps: Step[]
  reasons: string[]
}

function toDense(layer: LinearLayer): DenseStep {
  return {
    kind: 'linear',
    name: layer.name,
    rows: layer.outFeatures,
    columns: layer.inFeatures,
    weights: Float64Array.from(layer.weights),
    bias: Float64Array.from(layer.bias),
    ...(layer.window ? { window: layer.window } : {}),
    ...(layer.averagePool ? { averagePool: true as const } : {}),
  }
}

/** second ∘ first's window, when both have one (a dense step in between loses it). */
function composedWindow(first: DenseStep, second: DenseStep): WindowGeometry | undefined {
  if (!first.window || !second.window) return undefined
  if (first.window.outShape.join() !== second.window.inShape.join()) return undefined
  return composeWindows(first.window, second.window)
}

/**
 * An average pool right before a window map stays a step of its own: the lowering runs it as a
 * fold (no level) when the layout allows, instead of widening the convolution's kernel
 * (bench/conv-packing.ts: 53 vs 72 rotations for the LeNet-style fixture).
 */
function keepsSeparate(first: DenseStep, second: DenseStep): boolean {
  return first.averagePool === true && second.window !== undefined
}

/** second ∘ first as one dense step. */
export function composeDense(first: DenseStep, second: DenseStep): DenseStep {
  const weights = new Float64Array(second.rows * first.columns)
  const bias = Float64Array.from(second.bias)
  for (let i = 0; i < second.rows; i++) {
    for (let k = 0; k < first.rows; k++) {
      const w = second.weights[i * second.columns + k]
      if (w === 0) continue
      bias[i] += w * first.bias[k]
      for (let j = 0; j < first.columns; j++)
        weights[i * first.columns + j] += w * first.weights[k * first.columns + j]
    }
  }
  const window = composedWindow(first, second)
  return {
    kind: 'linear',
    name: `${first.name}+${second.name}`,
    rows: second.rows,
    columns: first.columns,
    weights,
    bias,
    ...(window ? { window } : {}),
  }
}

/** y ↦ scale·y + offset applied on the input side of a dense step: W' = scale·W, b' = b + W·offset·1. */
function absorbAffineInput(step: DenseStep, scale: number, offset: number): DenseStep {
  const weights = new Float64Array(step.weights.length)
  const bias = Float64Array.from(step.bias)
  for (let i = 0; i < step.rows; i++) {
    let rowSum = 0
    for (let j = 0; j < step.columns; j++) {
      const w = step.weights[i * step.columns + j]
      weights[i * step.columns + j] = scale * w
      rowSum += w
    }
    bias[i] += rowSum * offset
  }
  return { ...step, weights, bias }
}

/** x_j ↦ (x_j − center_j) / halfWidth_j on the output side of `step` (in place). */
function normalizeRows(step: DenseStep, layer: ChebyshevLayer): void {
  for (let i = 0; i < step.rows; i++) {
    const inverse = 1 / layer.halfWidth[i]
    for (let j = 0; j < step.columns; j++) step.weights[i * step.columns + j] *= inverse
    step.bias[i] = (step.bias[i] - layer.center[i]) * inverse
  }
}

/** Identity dense step of size n (for a model that ends in an activation). */
function identityStep(name: string, size: number): DenseStep {
  const weights = new Float64Array(size * size)
  for (let i = 0; i < size; i++) weights[i * size + i] = 1
  return { kind: 'linear', name, rows: size, columns: size, weights, bias: new Float64Array(size) }
}

/** @throws PrivinferError PLAN_INVALID for degrees above 2 or a model not starting linear. */
function checkLayers(model: LayerModel): void {
  const tooHigh = model.layers
    .filter((layer): layer is PolyLayer => layer.kind === 'poly')
    .filter((layer) => polynomialDegree(layer.coefficients) > 2)
  if (tooHigh.length > 0) {
    throw new PrivinferError(
      'PLAN_INVALID',
      `polynomial activations of degree > 2 are not supported yet: ${tooHigh
        .map((layer) => `${layer.name} (degree ${polynomialDegree(layer.coefficients)})`)
        .join(', ')}`,
      { layers: tooHigh.map((layer) => layer.name) },
    )
  }
  if (model.layers.length === 0 || model.layers[0].kind !== 'linear') {
    throw new PrivinferError(
      'PLAN_INVALID',
      'the model must start with a linear layer (Gemm/MatMul)',
    )
  }
}

/** y ↦ scale·y + offset, waiting to be absorbed by the input side of the next dense step. */
interface PendingAffine {
  scale: number
  offset: number
}

/**
 * Appends the step(s) of a quadratic or linear activation after `previous` (mutated: a linear
 * activation or the shift c goes into it) and returns the affine map the next dense step absorbs.
 */
function appendActivation(
  layer: PolyLayer,
  previous: DenseStep,
  range: number | undefined,
  shiftLimit: number,
  steps: Step[],
  reasons: string[],
): PendingAffine | undefined {
  const [d = 0, b = 0, a = 0] = layer.coefficients
  if (a === 0) {
    // Linear activation: scale and shift the previous linear step's output.
    for (let i = 0; i < previous.weights.length; i++) previous.weights[i] *= b
    for (let i = 0; i < previous.bias.length; i++) previous.bias[i] = b * previous.bias[i] + d
    reasons.push(`${layer.name}: linear activation ${b}·x + ${d} folded into ${previous.name}`)
    return undefined
  }
  const c = b / (2 * a)
  const complete = c === 0 || (range !== undefined ? Math.abs(c) <= shiftLimit * range : true)
  if (!complete) {
    steps.push({ kind: 'square', name: layer.name, linearCoefficient: b / a })
    reasons.push(
      `${layer.name}: shift c = ${c.toPrecision(4)} is large next to max|x| = ${range?.toPrecision(4)}; evaluated as x² + (b/a)·x (one extra plaintext product, same depth)`,
    )
    return { scale: a, offset: d }
  }
  for (let i = 0; i < previous.bias.length; i++) previous.bias[i] += c
  steps.push({ kind: 'square', name: layer.name, linearCoefficient: 0 })
  if (c !== 0) {
    reasons.push(
      `${layer.name}: ${a}·x² + ${b}·x + ${d} = a·(x + ${c.toPrecision(4)})² + const; shift folded into ${previous.name}'s bias, a and the constant into the next layer`,
    )
  }
  return { scale: a, offset: d - a * c * c }
}

/**
 * Completes the square of every quadratic activation and absorbs linear ones (module comment).
 * @throws PrivinferError PLAN_INVALID for polynomial degrees above 2, a model without a linear layer,
 *   or a model starting with an activation.
 */
export function completeSquares(
  model: LayerModel,
  options: CompleteSquareOptions = {},
): CompletedSquares {
  const shiftLimit = options.shiftLimit ?? 1
  checkLayers(model)
  const reasons: string[] = []
  const steps: Step[] = []
  let pending: PendingAffine | undefined
  let size = model.inputSize
  model.layers.forEach((layer, index) => {
    const previous = steps[steps.length - 1]
    switch (layer.kind) {
      case 'linear': {
        let dense = toDense(layer)
        if (pending !== undefined) {
          dense = absorbAffineInput(dense, pending.scale, pending.offset)
          pending = undefined
        }
        if (previous?.kind === 'linear' && !keepsSeparate(previous, dense))
          steps[steps.length - 1] = composeDense(previous, dense)
        else steps.push(dense)
        size = dense.rows
        return
      }
      case 'poly': {
        if (previous?.kind !== 'linear') {
          throw new PrivinferError(
            'PLAN_INVALID',
            `activation ${layer.name} must follow a linear layer`,
          )
        }
        const range = options.preActivationMaxAbs?.get(index)
        const next = appendActivation(layer, previous, range, shiftLimit, steps, reasons)
        if (next === undefined) return
        pending = next
        size = previous.rows
        return
      }
      case 'chebyshev': {
        if (previous?.kind !== 'linear') {
          throw new PrivinferError(
            'PLAN_INVALID',
            `activation ${layer.name} must follow a linear layer`,
          )
        }
        normalizeRows(previous, layer)
        steps.push({ kind: 'chebyshev', name: layer.name, coefficients: layer.coefficients })
        size = previous.rows
        return
      }
      case 'activation':
        throw new PrivinferError(
          'PLAN_INVALID',
          `activation ${layer.name} was not approximated (approximate-activations.ts runs first)`,
        )
      default:
        return unreachable(layer)
    }
  })
  if (steps[steps.length - 1]?.kind === 'chebyshev') {
    // The plan's output is the last dense step's layout: end with an identity.
    steps.push(identityStep('output-identity', size))
    reasons.push(
      'the model ends with an activation: an identity diagonal layer carries it to the output layout (one level)',
    )
  }
  if (pending !== undefined) {
    // The model ends with an activation: apply a and the constant through an identity layer.
    const last = absorbAffineInput(
      identityStep('output-scale', size),
      pending.scale,
      pending.offset,
    )
    steps.push(last)
    reasons.push(
      'the model ends with an activation: its leading coefficient is applied by an extra diagonal layer (one level)',
    )
  }
  return { steps, reasons }
}
