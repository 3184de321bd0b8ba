/**
 * Lowers the step IR to an HE plan (DESIGN.md §Packing, §Levels and scale): squares completed
 * first (complete-square.ts), then each dense step as a baby-step giant-step diagonal product over
 * the full slot vector, a fold (rotate-and-add), a bias add; each square followed by a rescale.
 *
 * Strategies:
 * - optimized (default): pre-rotated input replicas for the first layer (choose-input-layout.ts),
 *   giant step minimizing rotations, partial fold of the last layer (only the copies that hold
 *   products), and lazy rescaling of a first layer followed by a square: the product is not rescaled
 *   before the square, which saves a whole level, so every top-level rotation runs with one prime
 *   fewer; with `lazyOutput` (compile.ts tries it first) the last product after a square is not
 *   rescaled either, one more level saved (bench/README.md has the measurements).
 * - baseline: the straightforward method (input padded to nextPow2(n) and replicated, M diagonals,
 *   giant step 8, rescale after every product, full folds): the reference point of the bench.
 */
import type { LayerModel } from './ir.ts'
import { assignDiagonals, type DiagonalAssignment } from '../../core/layout/diagonal-assignment.ts'
import { bestGiantStep, splitBabyGiant } from '../../core/layout/baby-giant.ts'
import { foldStages, rotationsOfFold } from '../../core/layout/fold.ts'
import { nextPowerOfTwo } from '../../core/layout/rotate.ts'
import { contentsOfInputLayout, replicatedContents } from '../../core/layout/slot-contents.ts'
import { PrivinferError } from '../../core/errors.ts'
import { unreachable } from '../../core/unreachable.ts'
import type { InputLayout, OutputLayout } from '../../core/card.ts'
import { chooseInputLayout, replicatedChoice } from './choose-input-layout.ts'
import { completeSquares, composeDense } from './complete-square.ts'
import { contentsOfGrid, type GridPlacement } from '../../core/layout/grid-placement.ts'
import { rotationsOfOffsetSplit } from '../../core/layout/offset-baby-giant.ts'
import { EMPTY } from '../../core/layout/slot-contents.ts'
import {
  lowerFirstWindow,
  lowerWindowOnGrid,
  poolStepOnGrid,
  type PlacedProduct,
} from './lower-window.ts'
import { galoisStepsOf, type HePlan, type MatVecOp, type PlanOp } from './plan/plan.ts'
import {
  isLazyProduct,
  rescalePolicyOf,
  type RescaleOptions,
  type RescalePolicy,
} from './rescale-policy.ts'
import { SlotsExceededError } from './slots-exceeded-error.ts'
import type { ChebyshevStep, DenseStep, SquareStep, Step } from './step-ir.ts'
import { buildChebyshevTree } from './chebyshev-tree.ts'
import { depthOf } from './plan/chebyshev.ts'

export interface LowerOptions extends RescaleOptions {
  /** Number of CKKS slots (N/2). */
  slotCount: number
  strategy?: 'optimized' | 'baseline'
  /**
   * Leave the last fold to the client (OutputLayout.copies > 1): fewer rotations and keys, but the
   * client then sees the partial sums of the last layer, which reveals more about the weights than
   * the outputs do (model privacy). Default false.
   */
  clientFold?: boolean
  /**
   * Output masking (model-owner protection, docs/threat-model.md): the last layer's diagonals are
   * assigned so that every output's whole sum lands in its own slot of copy 0, and are zero
   * everywhere else (core/layout/diagonal-assignment.ts `copyLimit`). The result then decrypts to the
   * outputs in their slots and to noise alone elsewhere: no partial sums, no replicas, nothing of the
   * hidden layer. No fold is needed, so the mask costs no level, no op and no plaintext; it costs
   * more diagonals (rotations at level 0) in the last layer (bench/results/masking.md). Default true;
   * not with clientFold, whose point is to show the client the copies.
   */
  maskOutput?: boolean
  /**
   * Rescale each giant-step group before its giant rotation: the giant rotations then run one level
   * lower (cheaper) at the price of one rescale per group. Default true for the optimized strategy:
   * the 10x128 layer took 37.7 vs 41.1 ms (bench/compile-variants.ts, `npm run bench:variants`, interleaved, 12 reps; bench/README.md).
   */
  rescaleGroups?: boolean
  /** Lazy rescaling of a first layer followed by a square (optimized only). Default true. */
  lazyRescale?: boolean
  /**
   * Also leave the last product unrescaled when a square precedes it (optimized only; default
   * false): depth 1 instead of 2 for one hidden layer, so every rotation key-switches over one prime
   * fewer and keys shrink by half, at the price of ~22-bit weights and a ~60-bit q0 (larger output
   * ciphertext). See bench/README.md for the measured trade-off.
   */
  lazyOutput?: boolean
  /** Giant step for every layer (default: the one minimizing rotations; baseline: 8). */
  giantStep?: number
  /** Largest fold radix (2 = log2 rotate-and-adds, one key each; larger = fewer keys). */
  foldRadix?: number
  /** From calibration: max |pre-activation| by poly layer index (see completeSquares). */
  preActivationMaxAbs?: ReadonlyMap<number, number>
  /**
   * Use this client input layout for the first layer instead of choosing one (the parts of a split
   * query read the single plan's input ciphertext: service/compiler/split/split-plan.ts).
   */
  inputLayout?: InputLayout
}

export interface LoweredModel {
  plan: HePlan
  steps: Step[]
  reasons: string[]
}

/** Completes the squares of a LayerModel and lowers it (lowerSteps). */
export function lowerLayerModel(model: LayerModel, options: LowerOptions): LoweredModel {
  const { steps, reasons } = completeSquares(model, {
    preActivationMaxAbs: options.preActivationMaxAbs,
  })
  return lowerSteps(steps, reasons, options)
}

/**
 * Lowers a step chain to a plan; see LowerOptions for the knobs. `reasons` (of the earlier passes)
 * come first in the result's reasons.
 * @throws SlotsExceededError when a layer does not fit `options.slotCount` slots (a larger ring may).
 */
export function lowerSteps(
  input: readonly Step[],
  reasons: readonly string[],
  options: LowerOptions,
): LoweredModel {
  const steps = [...input]
  const builder = new PlanBuilder(options, rescalePolicyOf(options), [...reasons])
  for (let index = 0; index < steps.length; index++) {
    const step = steps[index]
    switch (step.kind) {
      case 'square':
        builder.square(step)
        break
      case 'chebyshev':
        builder.chebyshev(step)
        break
      case 'linear': {
        const next = steps[index + 1]
        if (step.averagePool && next?.kind === 'linear') {
          // A pool before a window map: a fold on the grid when the layout allows, else one more
          // factor of the next linear map.
          if (!builder.poolByFold(step, next, isLastDense(steps, index + 1)))
            steps[index + 1] = composeDense(step, next)
          break
        }
        const lazy = isLazyProduct(builder.policy, steps, index)
        const isLast = isLastDense(steps, index)
        if (!builder.placed(step, lazy, isLast)) builder.dense(step, lazy, isLast)
        break
      }
      default:
        return unreachable(step)
    }
  }
  return { plan: builder.plan(), steps, reasons: builder.reasons }
}

function isLastDense(steps: readonly Step[], index: number): boolean {
  return steps.slice(index + 1).every((step) => step.kind !== 'linear')
}

/** The plan under construction: ops, plaintexts, depth, layouts and the slot contents so far. */
class PlanBuilder {
  readonly ops: PlanOp[] = []
  readonly plaintexts: Float64Array[] = []
  depth = 0
  inputLayout: InputLayout | undefined
  outputLayout: OutputLayout | undefined
  /** Which value every slot holds after the last dense step (undefined before the first). */
  contents: Int32Array | undefined
  /** Set while the running ciphertext holds a tensor on a slot grid (after a placed product). */
  grid: GridPlacement | undefined
  /** Factor the next product's weights take (1/k² after an average pool run as a fold). */
  pendingWeightScale = 1
  readonly options: LowerOptions
  readonly policy: RescalePolicy
  /** Reasons so far (earlier passes first); lowering appends one or two per dense step. */
  readonly reasons: string[]
  private readonly slotCount: number
  private readonly baseline: boolean

  constructor(options: LowerOptions, policy: RescalePolicy, reasons: string[]) {
    this.options = options
    this.policy = policy
    this.reasons = reasons
    this.slotCount = options.slotCount
    this.baseline = (options.strategy ?? 'optimized') === 'baseline'
  }

  addPlaintext(values: Float64Array): number {
    return this.plaintexts.push(values) - 1
  }

  square(step: SquareStep): void {
    let linearPlaintext: number | undefined
    if (step.linearCoefficient !== 0)
      linearPlaintext = this.addPlaintext(
        new Float64Array(this.slotCount).fill(step.linearCoefficient),
      )
    this.ops.push({ kind: 'square', layer: step.name, linearPlaintext })
    this.ops.push({ kind: 'rescale', layer: step.name })
    this.depth++
  }

  /**
   * A Chebyshev series per feature: the coefficients go into slot vectors following the
   * replicated layout of the previous dense step's output (padding slots get 0).
   */
  chebyshev(step: ChebyshevStep): void {
    const { contents } = this
    if (contents === undefined) {
      throw new PrivinferError(
        'PLAN_INVALID',
        `${step.name}: an activation before any linear layer`,
      )
    }
    const slotVectors = step.coefficients.map((perFeature) =>
      Float64Array.from(contents, (feature) => (feature >= 0 ? perFeature[feature] : 0)),
    )
    const { tree, giants } = buildChebyshevTree(slotVectors, (values) => this.addPlaintext(values))
    const minusOnes = Array.from({ length: giants }, () =>
      this.addPlaintext(new Float64Array(this.slotCount).fill(-1)),
    )
    this.ops.push({ kind: 'chebyshev', layer: step.name, giants, minusOnes, tree })
    const depth = depthOf(tree)
    this.depth += depth
    this.reasons.push(
      `${step.name}: Chebyshev series of degree ${step.coefficients.length - 1} per feature, ${giants} giant steps, depth ${depth}`,
    )
  }

  /**
   * A window map (not the last layer) as a placed product: outputs on their window corners, BSGS
   * over explicit giant offsets, no fold, the bias on the output slots (lower-window.ts). False
   * when the step has no window or the current layout is not a grid.
   */
  placed(input: DenseStep, lazy: boolean, isLast: boolean): boolean {
    if (this.baseline || input.window === undefined || isLast) return false
    const { slotCount } = this
    const step = this.withPendingScale(input)
    let product: PlacedProduct | undefined
    if (this.contents === undefined) {
      const first = lowerFirstWindow(step, slotCount)
      this.inputLayout = first.layout
      product = first
    } else if (this.grid !== undefined) {
      product = lowerWindowOnGrid(step, this.grid, slotCount)
    }
    if (product === undefined) return false
    const { split } = product
    this.ops.push({
      kind: 'matVec',
      layer: step.name,
      giantStep: 0,
      babyStep: split.babyStep,
      maxBaby: split.maxBaby,
      giantRotations: rotationsOfOffsetSplit(split) - split.maxBaby,
      groups: split.groups.map((group, position) => ({
        index: position,
        offset: group.offset,
        terms: group.terms.map((term) => ({
          baby: term.baby,
          plaintext: this.addPlaintext(term.diagonal),
        })),
      })),
      scale: lazy ? { kind: 'fixed' } : { kind: 'target', role: 'hidden' },
      rescale: lazy ? 'none' : this.policy.rescaleAt,
    })
    if (!lazy) this.depth++
    if (step.bias.some((value) => value !== 0)) {
      const bias = new Float64Array(slotCount)
      product.outputContents.forEach((row, s) => {
        if (row !== EMPTY) bias[s] = step.bias[row]
      })
      this.ops.push({ kind: 'addPlain', layer: step.name, plaintext: this.addPlaintext(bias) })
    }
    this.reasons.push(
      product.description + (lazy ? ', lazy rescale (product carried into the square)' : ''),
    )
    this.contents = product.outputContents
    this.grid = product.outputs
    return true
  }

  /**
   * An average pool (kernel = stride, no padding) on the current grid, right before the window
   * map `next`: a fold (rotations and additions, no level) whose window sums land on the corners;
   * 1/k² goes into `next`'s weights. False when the layout does not allow it.
   */
  poolByFold(step: DenseStep, next: DenseStep, nextIsLast: boolean): boolean {
    if (this.baseline || this.grid === undefined || next.window === undefined || nextIsLast)
      return false
    const pool = poolStepOnGrid(step, this.grid)
    if (pool === undefined) return false
    if (pool.stages.length > 0)
      this.ops.push({ kind: 'fold', layer: step.name, stages: pool.stages })
    this.pendingWeightScale /= pool.sumFactor
    this.grid = pool.pooled
    this.contents = contentsOfGrid(pool.pooled, this.slotCount)
    this.reasons.push(
      `${step.name}: average pool as a fold on the grid (${rotationsOfFold(pool.stages)} rotations, no level)`,
    )
    return true
  }

  private withPendingScale(step: DenseStep): DenseStep {
    if (this.pendingWeightScale === 1) return step
    const factor = this.pendingWeightScale
    this.pendingWeightScale = 1
    return { ...step, weights: step.weights.map((w) => w * factor) }
  }

  dense(input: DenseStep, lazy: boolean, isLast: boolean): void {
    const step = this.withPendingScale(input)
    const { slotCount, options, baseline } = this
    const rowPeriod = nextPowerOfTwo(step.rows)
    if (rowPeriod > slotCount) {
      throw new SlotsExceededError(
        `layer ${step.name} has ${step.rows} outputs, more than ${slotCount} slots`,
      )
    }
    let masked = isLast && this.masksOutput
    let assignment = this.assignment(step, rowPeriod, masked)
    if (masked && options.maskOutput === undefined && this.contents !== undefined) {
      // By default the mask is taken only at a bounded price (MLPs: 21 instead of 9 level-0
      // rotations); a layer whose whole sums need many more diagonals (e.g. 845 inputs after a
      // convolution: 134 instead of 22) stays unmasked unless maskOutput is set.
      const unmasked = this.assignment(step, rowPeriod, false)
      const maskedRotations = rotationsOf(assignment, rowPeriod, false, options.foldRadix)
      const unmaskedRotations = rotationsOf(unmasked, rowPeriod, true, options.foldRadix)
      if (maskedRotations > unmaskedRotations + Math.max(16, unmaskedRotations)) {
        this.reasons.push(
          `${step.name}: output not masked (${maskedRotations} instead of ${unmaskedRotations} rotations; maskOutput: true forces it)`,
        )
        masked = false
        assignment = unmasked
      }
    }
    const giantStep = options.giantStep ?? (baseline ? 8 : bestGiantStep(assignment.diagonals))
    const matVec = this.matVec(step, assignment, giantStep, lazy, isLast)
    this.ops.push(matVec)
    if (!lazy) this.depth++
    const { copies, foldRotations } = this.fold(step, assignment, rowPeriod, isLast)
    this.bias(step, rowPeriod, isLast)
    this.reasons.push(
      `${step.name}: ${step.rows}x${step.columns}, ${assignment.diagonals.size} diagonals, giant step ${giantStep}: ` +
        `${matVec.maxBaby} baby + ${matVec.giantRotations} giant + ${foldRotations} fold rotations` +
        (lazy ? ', lazy rescale (product carried into the square)' : '') +
        (masked ? ', output masked (whole sums in copy 0, zeros elsewhere)' : '') +
        (isLast && options.clientFold ? `, ${copies} copies summed by the client` : ''),
    )
    this.contents = replicatedContents(step.rows, rowPeriod, slotCount)
    this.grid = undefined
    if (isLast) {
      this.outputLayout = { slotCount, outputSize: step.rows, offset: 0, period: rowPeriod, copies }
    }
  }

  /** Masking applies to the last layer unless the client folds (then the copies are the point). */
  private get masksOutput(): boolean {
    if (this.options.maskOutput === true && this.options.clientFold === true)
      throw new PrivinferError('PLAN_INVALID', 'maskOutput and clientFold exclude each other')
    return (this.options.maskOutput ?? true) && this.options.clientFold !== true
  }

  /**
   * The first layer chooses the client's input layout (or takes the given one); later ones read the
   * replicated output. A masked last layer keeps its products in copy 0 (copyLimit 1); as the first
   * layer too, it reads a plainly replicated input (pre-rotated replicas put products in every copy).
   */
  private assignment(step: DenseStep, rowPeriod: number, masked: boolean): DiagonalAssignment {
    const copyLimit = masked ? 1 : undefined
    const given = this.options.inputLayout
    if (this.contents === undefined && given !== undefined) {
      this.inputLayout = given
      const assignment = assignFewest(step, rowPeriod, contentsOfInputLayout(given), copyLimit)
      this.reasons.push(
        `${step.name}: the given input layout, ${assignment.diagonals.size} diagonals`,
      )
      return assignment
    }
    if (this.contents === undefined) {
      const choice =
        this.baseline || masked
          ? replicatedChoice(step, this.slotCount)
          : chooseInputLayout(step, this.slotCount)
      this.inputLayout = choice.layout
      this.reasons.push(`${step.name}: ${choice.description}`)
      if (!masked) return choice.assignment
      return assignOrThrow(
        step,
        rowPeriod,
        contentsOfInputLayout(choice.layout),
        rowPeriod,
        copyLimit,
      )
    }
    return assignOrThrow(
      step,
      rowPeriod,
      this.contents,
      Math.min(rowPeriod, previousPeriod(this.contents)),
      copyLimit,
    )
  }

  private matVec(
    step: DenseStep,
    assignment: DiagonalAssignment,
    giantStep: number,
    lazy: boolean,
    isLast: boolean,
  ): MatVecOp {
    const split = splitBabyGiant(assignment.diagonals, giantStep)
    return {
      kind: 'matVec',
      layer: step.name,
      giantStep,
      maxBaby: split.maxBaby,
      giantRotations: split.giantRotations,
      groups: split.groups.map((group) => ({
        index: group.index,
        terms: group.terms.map((term) => ({
          baby: term.baby,
          plaintext: this.addPlaintext(term.diagonal),
        })),
      })),
      scale: lazy ? { kind: 'fixed' } : { kind: 'target', role: isLast ? 'output' : 'hidden' },
      rescale: lazy ? 'none' : this.policy.rescaleAt,
    }
  }

  /**
   * Fold (rotate-and-add): middle layers need the full replication (the next layer reads every
   * copy); the last layer only needs the copies that hold products, or none with a client fold.
   */
  private fold(
    step: DenseStep,
    assignment: DiagonalAssignment,
    rowPeriod: number,
    isLast: boolean,
  ): { copies: number; foldRotations: number } {
    const fullCopies = this.slotCount / rowPeriod
    const usedCopies = this.baseline ? fullCopies : nextPowerOfTwo(assignment.maxCopyIndex + 1)
    if (isLast && this.options.clientFold) {
      return { copies: assignment.maxCopyIndex + 1, foldRotations: 0 }
    }
    const stages = foldStages(
      rowPeriod,
      isLast ? usedCopies : fullCopies,
      this.options.foldRadix ?? 2,
    )
    if (stages.length === 0) return { copies: 1, foldRotations: 0 }
    this.ops.push({ kind: 'fold', layer: step.name, stages })
    return { copies: 1, foldRotations: rotationsOfFold(stages) }
  }

  /** The bias in every copy; in the last layer in copy 0 only (a client fold sums the copies). */
  private bias(step: DenseStep, rowPeriod: number, isLast: boolean): void {
    if (!step.bias.some((value) => value !== 0)) return
    const bias = new Float64Array(this.slotCount)
    const biasSlots = isLast ? rowPeriod : this.slotCount
    for (let s = 0; s < biasSlots; s++) {
      const row = s % rowPeriod
      if (row < step.rows) bias[s] = step.bias[row]
    }
    this.ops.push({ kind: 'addPlain', layer: step.name, plaintext: this.addPlaintext(bias) })
  }

  plan(): HePlan {
    const { inputLayout, outputLayout, ops } = this
    if (inputLayout === undefined || outputLayout === undefined) {
      throw new PrivinferError('PLAN_INVALID', 'the model has no linear layer')
    }
    return {
      formatVersion: 1,
      slotCount: this.slotCount,
      depth: this.depth,
      inputLayout,
      outputLayout,
      ops,
      plaintexts: this.plaintexts,
      galoisSteps: galoisStepsOf(ops),
      needsRelinKeys: ops.some((op) => op.kind === 'square' || op.kind === 'chebyshev'),
    }
  }
}

/**
 * The assignment with the fewest rotations that covers every weight on a fixed layout: counted up
 * from the lower bound rows·columns / slots one by one, then doubling.
 */
function assignFewest(
  step: DenseStep,
  rowPeriod: number,
  contents: Int32Array,
  copyLimit?: number,
): DiagonalAssignment {
  const lower = Math.max(1, Math.ceil((step.rows * step.columns) / contents.length))
  for (let rotationCount = lower; rotationCount <= contents.length;) {
    const assignment = assignDiagonals({
      weights: step.weights,
      rows: step.rows,
      columns: step.columns,
      rowPeriod,
      contents,
      rotationCount,
      copyLimit,
    })
    if (assignment.uncovered === 0) return assignment
    rotationCount = rotationCount < 4 * lower ? rotationCount + 1 : rotationCount * 2
  }
  throw new PrivinferError('PLAN_INVALID', `no diagonal cover found for layer ${step.name}`)
}

/** Rotations of a layer's product (baby-step giant-step at its best giant step) and of its fold. */
function rotationsOf(
  assignment: DiagonalAssignment,
  rowPeriod: number,
  folded: boolean,
  foldRadix = 2,
): number {
  const split = splitBabyGiant(assignment.diagonals, bestGiantStep(assignment.diagonals))
  const copies = nextPowerOfTwo(assignment.maxCopyIndex + 1)
  const fold = folded ? rotationsOfFold(foldStages(rowPeriod, copies, foldRadix)) : 0
  return split.maxBaby + split.giantRotations + fold
}

/** The diagonal assignment of a layer reading `contents`, with the fewest rotations that cover it. */
function assignOrThrow(
  step: DenseStep,
  rowPeriod: number,
  contents: Int32Array,
  start: number,
  copyLimit?: number,
): DiagonalAssignment {
  for (let rotationCount = start; rotationCount <= contents.length; rotationCount *= 2) {
    const assignment = assignDiagonals({
      weights: step.weights,
      rows: step.rows,
      columns: step.columns,
      rowPeriod,
      contents,
      rotationCount,
      copyLimit,
    })
    if (assignment.uncovered === 0) return assignment
  }
  // ASSUME: with every rotation available (rotationCount = slots) every weight is covered.
  throw new PrivinferError('PLAN_INVALID', `no diagonal cover found for layer ${step.name}`)
}

/** Period of a replicated contents map (smallest p with contents[s] = contents[s mod p]). */
function previousPeriod(contents: Int32Array): number {
  for (let period = 1; period < contents.length; period *= 2) {
    let periodic = true
    for (let s = period; s < contents.length && periodic; s++)
      periodic = contents[s] === contents[s % period]
    if (periodic) return period
  }
  return contents.length
}
