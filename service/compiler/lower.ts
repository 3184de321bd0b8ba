/**
 * Lowers a LayerModel to an HE plan (DESIGN.md §Packing, §Levels and scale): activations folded
 * (fold-activations.ts), each linear layer as a baby-step giant-step diagonal product over the full
 * slot vector, a fold, a bias add; each square followed by a rescale.
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
import { replicatedContents } from '../../core/layout/slot-contents.ts'
import { PrivinferError } from '../../core/errors.ts'
import type { InputLayout, OutputLayout } from '../../core/card.ts'
import { chooseInputLayout, replicatedChoice } from './choose-input-layout.ts'
import {
  composeDense,
  foldActivations,
  type DenseStep,
  type HeStep,
  type SquareStep,
} from './fold-activations.ts'
import { contentsOfGrid, type GridPlacement } from '../../core/layout/grid-placement.ts'
import { rotationsOfOffsetSplit } from '../../core/layout/offset-baby-giant.ts'
import { EMPTY } from '../../core/layout/slot-contents.ts'
import {
  lowerFirstWindow,
  lowerWindowOnGrid,
  poolStepOnGrid,
  type PlacedProduct,
} from './lower-window.ts'
import { galoisStepsOf, type HePlan, type PlanOp } from './plan.ts'

export interface LowerOptions {
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
   * Rescale each giant-step group before its giant rotation: the giant rotations then run one level
   * lower (cheaper) at the price of one rescale per group. Default true for the optimized strategy:
   * the 10x128 layer took 37.7 vs 41.1 ms (bench/scratch/variants.ts, interleaved, 12 reps).
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
  /** From calibration: max |pre-activation| by poly layer index (see foldActivations). */
  preActivationMaxAbs?: ReadonlyMap<number, number>
}

export interface LoweredModel {
  plan: HePlan
  steps: HeStep[]
  reasons: string[]
}

function assignOrThrow(
  step: DenseStep,
  rowPeriod: number,
  contents: Int32Array,
  start: number,
): DiagonalAssignment {
  for (let rotationCount = start; rotationCount <= contents.length; rotationCount *= 2) {
    const assignment = assignDiagonals({
      weights: step.weights,
      rows: step.rows,
      columns: step.columns,
      rowPeriod,
      contents,
      rotationCount,
    })
    if (assignment.uncovered === 0) return assignment
  }
  throw new PrivinferError('PLAN_INVALID', `no diagonal cover found for layer ${step.name}`)
}

/** Lowers a model; see LowerOptions for the knobs. */
export function lowerLayerModel(model: LayerModel, options: LowerOptions): LoweredModel {
  const { slotCount } = options
  const strategy = options.strategy ?? 'optimized'
  const baseline = strategy === 'baseline'
  const { steps, reasons } = foldActivations(model, {
    preActivationMaxAbs: options.preActivationMaxAbs,
  })
  const ops: PlanOp[] = []
  const plaintexts: Float64Array[] = []
  const addPlaintext = (values: Float64Array) => plaintexts.push(values) - 1
  let inputLayout: InputLayout | undefined
  let outputLayout: OutputLayout | undefined
  let contents: Int32Array | undefined
  // Set while the running ciphertext holds a tensor on a slot grid (after a placed product).
  let grid: GridPlacement | undefined
  // Factor the next linear step's weights take (1/k² after a pool by fold).
  let pendingWeightScale = 1
  let depth = 0
  let lastLinear = -1
  steps.forEach((step, index) => {
    if (step.kind === 'linear') lastLinear = index
  })

  const lowerDense = (step: DenseStep, index: number) => {
    const rowPeriod = nextPowerOfTwo(step.rows)
    if (rowPeriod > slotCount) {
      throw new PrivinferError(
        'PLAN_INVALID',
        `layer ${step.name} has ${step.rows} outputs, more than ${slotCount} slots`,
      )
    }
    const isLast = index === lastLinear
    let assignment: DiagonalAssignment
    if (contents === undefined) {
      const choice = baseline
        ? replicatedChoice(step, slotCount)
        : chooseInputLayout(step, slotCount)
      inputLayout = choice.layout
      assignment = choice.assignment
      reasons.push(`${step.name}: ${choice.description}`)
    } else {
      assignment = assignOrThrow(
        step,
        rowPeriod,
        contents,
        Math.min(rowPeriod, previousPeriod(contents)),
      )
    }
    const giantStep = options.giantStep ?? (baseline ? 8 : bestGiantStep(assignment.diagonals))
    const split = splitBabyGiant(assignment.diagonals, giantStep)
    const lazyFirst =
      !baseline && (options.lazyRescale ?? true) && index === 0 && steps[1]?.kind === 'square'
    // Lazy output: the last product is not rescaled either; the output stays at level 0 with scale
    // ≈ 2^(post-square scale + weight bits), held by a ~60-bit q0 (one level fewer in total).
    const lazyLast =
      !baseline &&
      options.lazyOutput === true &&
      isLast &&
      index > 0 &&
      steps[index - 1]?.kind === 'square'
    const lazy = lazyFirst || lazyLast
    const rescale = lazy ? 'none' : (options.rescaleGroups ?? !baseline) ? 'groups' : 'end'
    ops.push({
      kind: 'matVec',
      layer: step.name,
      giantStep,
      maxBaby: split.maxBaby,
      giantRotations: split.giantRotations,
      groups: split.groups.map((group) => ({
        index: group.index,
        terms: group.terms.map((term) => ({
          baby: term.baby,
          plaintext: addPlaintext(term.diagonal),
        })),
      })),
      scale: lazy ? { kind: 'fixed' } : { kind: 'target', role: isLast ? 'output' : 'hidden' },
      rescale,
    })
    if (!lazy) depth++
    // Fold: middle layers need the full replication (the next layer reads every copy); the last
    // layer only needs the copies that hold products.
    const fullCopies = slotCount / rowPeriod
    const usedCopies = baseline ? fullCopies : nextPowerOfTwo(assignment.maxCopyIndex + 1)
    let copies = 1
    if (isLast && options.clientFold) {
      copies = assignment.maxCopyIndex + 1
    } else {
      const stages = foldStages(rowPeriod, isLast ? usedCopies : fullCopies, options.foldRadix ?? 2)
      if (stages.length > 0) ops.push({ kind: 'fold', layer: step.name, stages })
    }
    if (step.bias.some((value) => value !== 0)) {
      const bias = new Float64Array(slotCount)
      // Last layer: bias in copy 0 only (with a client fold the client sums the copies).
      const biasSlots = isLast ? rowPeriod : slotCount
      for (let s = 0; s < biasSlots; s++) {
        const row = s % rowPeriod
        if (row < step.rows) bias[s] = step.bias[row]
      }
      ops.push({ kind: 'addPlain', layer: step.name, plaintext: addPlaintext(bias) })
    }
    const foldOp = ops[ops.length - 1]?.kind === 'fold' ? ops[ops.length - 1] : ops[ops.length - 2]
    const foldRotations =
      foldOp?.kind === 'fold' && foldOp.layer === step.name ? rotationsOfFold(foldOp.stages) : 0
    reasons.push(
      `${step.name}: ${step.rows}x${step.columns}, ${assignment.diagonals.size} diagonals, giant step ${giantStep}: ` +
        `${split.maxBaby} baby + ${split.giantRotations} giant + ${foldRotations} fold rotations` +
        (lazy ? ', lazy rescale (product carried into the square)' : '') +
        (isLast && options.clientFold ? `, ${copies} copies summed by the client` : ''),
    )
    contents = replicatedContents(step.rows, rowPeriod, slotCount)
    grid = undefined
    if (isLast) {
      outputLayout = { slotCount, outputSize: step.rows, offset: 0, period: rowPeriod, copies }
    }
  }

  const lowerSquare = (step: SquareStep) => {
    let linearPlaintext: number | undefined
    if (step.linearCoefficient !== 0)
      linearPlaintext = addPlaintext(new Float64Array(slotCount).fill(step.linearCoefficient))
    ops.push({ kind: 'square', layer: step.name, linearPlaintext })
    ops.push({ kind: 'rescale', layer: step.name })
    depth++
  }

  // A placed product (window map): baby-step giant-step over explicit offsets, no fold; the bias
  // goes to the output slots. Returns whether it was lowered that way.
  const lowerPlaced = (step: DenseStep, index: number): boolean => {
    if (baseline || step.window === undefined || index === lastLinear) return false
    let product: PlacedProduct | undefined
    if (contents === undefined) {
      const first = lowerFirstWindow(step, slotCount)
      inputLayout = first.layout
      product = first
    } else if (grid !== undefined) {
      product = lowerWindowOnGrid(step, grid, pendingWeightScale, slotCount)
    }
    if (product === undefined) return false
    pendingWeightScale = 1
    const lazy = (options.lazyRescale ?? true) && index === 0 && steps[1]?.kind === 'square'
    const { split } = product
    const hornerRotations = rotationsOfOffsetSplit(split) - split.maxBaby
    ops.push({
      kind: 'matVec',
      layer: step.name,
      giantStep: 0,
      babyStep: split.babyStep,
      maxBaby: split.maxBaby,
      giantRotations: hornerRotations,
      groups: split.groups.map((group, position) => ({
        index: position,
        offset: group.offset,
        terms: group.terms.map((term) => ({
          baby: term.baby,
          plaintext: addPlaintext(term.diagonal),
        })),
      })),
      scale: lazy ? { kind: 'fixed' } : { kind: 'target', role: 'hidden' },
      rescale: lazy ? 'none' : (options.rescaleGroups ?? true) ? 'groups' : 'end',
    })
    if (!lazy) depth++
    if (step.bias.some((value) => value !== 0)) {
      const bias = new Float64Array(slotCount)
      product.outputContents.forEach((row, s) => {
        if (row !== EMPTY) bias[s] = step.bias[row]
      })
      ops.push({ kind: 'addPlain', layer: step.name, plaintext: addPlaintext(bias) })
    }
    reasons.push(
      product.description + (lazy ? ', lazy rescale (product carried into the square)' : ''),
    )
    contents = product.outputContents
    grid = product.outputs
    return true
  }

  for (let index = 0; index < steps.length; index++) {
    const step = steps[index]
    if (step.kind === 'square') {
      lowerSquare(step)
      continue
    }
    const next = steps[index + 1]
    if (step.averagePool && next?.kind === 'linear') {
      const pool = grid === undefined ? undefined : poolStepOnGrid(step, grid)
      if (pool !== undefined && next.window !== undefined && index !== lastLinear) {
        // Pool by rotate-and-add: the window sums land on the corners; 1/k² goes into `next`.
        if (pool.stages.length > 0)
          ops.push({ kind: 'fold', layer: step.name, stages: pool.stages })
        pendingWeightScale /= pool.sumFactor
        grid = pool.pooled
        contents = contentsOfGrid(pool.pooled, slotCount)
        reasons.push(
          `${step.name}: average pool as a fold on the grid (${rotationsOfFold(pool.stages)} rotations, no level)`,
        )
        continue
      }
      // Otherwise the pool is one more factor of the next linear map.
      steps[index + 1] = composeDense(step, next)
      if (lastLinear === index) lastLinear = index + 1
      continue
    }
    let dense = step
    if (pendingWeightScale !== 1) {
      dense = { ...step, weights: step.weights.map((w) => w * pendingWeightScale) }
      pendingWeightScale = 1
    }
    if (!lowerPlaced(dense, index)) lowerDense(dense, index)
  }
  if (inputLayout === undefined || outputLayout === undefined) {
    throw new PrivinferError('PLAN_INVALID', 'the model has no linear layer')
  }
  const plan: HePlan = {
    formatVersion: 1,
    slotCount,
    depth,
    inputLayout,
    outputLayout,
    ops,
    plaintexts,
    galoisSteps: galoisStepsOf(ops),
    needsRelinKeys: ops.some((op) => op.kind === 'square'),
  }
  return { plan, steps, reasons }
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
