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
 * normalization absorbed by the previous dense step. A Chebyshev layer of degree 2 (a fitted
 * quadratic, one per feature) is completed like a trained square, feature by feature:
 * a_j·t² + b_j·t + d_j = a_j·(t + c_j)² + (d_j − a_j·c_j²) with t the normalized input, c_j into the
 * previous bias, a_j and the constants into the next layer's columns: a bare square, one level
 * instead of the Chebyshev step's two. When some |c_j| > QUADRATIC_SHIFT_LIMIT (t lies in [-1, 1]),
 * the feature is nearly linear (a_j → 0), the shift would cost it precision, and the layer stays a
 * Chebyshev step. Poly layers above
 * degree 2 are converted to Chebyshev layers before (PLAN_INVALID here).
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

/**
 * y ↦ scale·y + offset applied on the input side of a dense step: W'_ij = scale_j·W_ij,
 * b'_i = b_i + Σ_j W_ij·offset_j (scale and offset: one number, or one per input feature j).
 */
function absorbAffineInput(
  step: DenseStep,
  scale: number | Float64Array,
  offset: number | Float64Array,
): DenseStep {
  const weights = new Float64Array(step.weights.length)
  const bias = Float64Array.from(step.bias)
  const scaleOf = (j: number) => (typeof scale === 'number' ? scale : scale[j])
  const offsetOf = (j: number) => (typeof offset === 'number' ? offset : offset[j])
  for (let i = 0; i < step.rows; i++) {
    let shift = 0
    for (let j = 0; j < step.columns; j++) {
      const w = step.weights[i * step.columns + j]
      weights[i * step.columns + j] = scaleOf(j) * w
      shift += w * offsetOf(j)
    }
    bias[i] += shift
  }
  return { ...step, weights, bias }
}

/**
 * Largest shift |c_j| of a completed fitted quadratic, in units of the feature's half-width: the
 * square's input stays within 5x the interval, its relative CKKS error grows by (1 + |c|)² <= 25
 * (the measured value ranges size the chain for it). mlp-relu fitted at degree 2 with margin 1 needs
 * 2.8 (test/fixtures/torch); at margin 0 dead and always-active units give |c| of 1e14.
 */
const QUADRATIC_SHIFT_LIMIT = 4

/**
 * A degree-2 Chebyshev layer as per-feature completed squares (module comment): the shifts c_j
 * (in the normalized input t) and the affine map a_j·y + (d_j − a_j·c_j²) the next layer absorbs;
 * undefined when some feature is not quadratic enough (a_j = 0 or |c_j| > QUADRATIC_SHIFT_LIMIT).
 * With T_0 = 1, T_1 = t, T_2 = 2t² − 1: a = 2·k_2, b = k_1, d = k_0 − k_2.
 */
function quadraticFeatures(
  layer: ChebyshevLayer,
): { shift: Float64Array; affine: PendingAffine; worstShift: number } | undefined {
  const size = layer.center.length
  const [k0, k1, k2] = layer.coefficients
  if (k2 === undefined) return undefined
  const shift = new Float64Array(size)
  const scale = new Float64Array(size)
  const offset = new Float64Array(size)
  let worstShift = 0
  for (let j = 0; j < size; j++) {
    const a = 2 * k2[j]
    const b = k1?.[j] ?? 0
    const d = k0[j] - k2[j]
    if (a === 0) return undefined
    const c = b / (2 * a)
    worstShift = Math.max(worstShift, Math.abs(c))
    if (!(Math.abs(c) <= QUADRATIC_SHIFT_LIMIT)) return undefined
    shift[j] = c
    scale[j] = a
    offset[j] = d - a * c * c
  }
  return { shift, affine: { scale, offset }, worstShift }
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

/**
 * y ↦ scale·y + offset (one number for every feature, or one per feature), waiting to be absorbed
 * by the input side of the next dense step.
 */
interface PendingAffine {
  scale: number | Float64Array
  offset: number | Float64Array
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
        size = previous.rows
        if (layer.coefficients.length === 3) {
          const quadratic = quadraticFeatures(layer)
          if (quadratic !== undefined) {
            for (let i = 0; i < previous.rows; i++) previous.bias[i] += quadratic.shift[i]
            steps.push({ kind: 'square', name: layer.name, linearCoefficient: 0 })
            pending = quadratic.affine
            reasons.push(
              `${layer.name}: degree-2 fit completed to a square per feature (max |shift| ${quadratic.worstShift.toPrecision(3)} on [-1, 1]): one level`,
            )
            return
          }
          reasons.push(
            `${layer.name}: degree-2 fit kept as a Chebyshev step (a feature is nearly linear: |shift| > ${QUADRATIC_SHIFT_LIMIT} half-widths)`,
          )
        }
        steps.push({ kind: 'chebyshev', name: layer.name, coefficients: layer.coefficients })
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
