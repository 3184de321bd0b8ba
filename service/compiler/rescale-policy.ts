/**
 * The rescale policy: which products of the plan are rescaled right after the product and which
 * lazily, i.e. carried at the product scale into the next op (docs/design.md, decision 2). The
 * decision is made here, once, from the options (rescalePolicyOf) and the step chain
 * (isLazyProduct); lowering writes it into the plan (MatVecOp.scale 'fixed', rescale 'none') and
 * parameter selection reads it back from the plan (planRescaling), never re-deriving it.
 *
 * - lazy first product: the first dense step followed by a square is not rescaled before the
 *   square; one level fewer, so every top-level rotation key-switches over one prime fewer.
 * - lazy output: the last dense step after a square is not rescaled either; the output stays at
 *   level 0 with scale ≈ 2^(post-square scale + weight bits), held by a ~60-bit q0.
 */
import type { MatVecOp, HePlan } from './plan/plan.ts'
import type { Step } from './step-ir.ts'

export interface RescalePolicy {
  /** Leave the first product unrescaled when a square follows it. */
  lazyFirst: boolean
  /** Leave the last product unrescaled when a square precedes it. */
  lazyOutput: boolean
  /** Where an eager product is rescaled: each giant-step group before its rotation, or at the end. */
  rescaleAt: 'groups' | 'end'
}

/** The options that set the policy (LowerOptions has them). */
export interface RescaleOptions {
  strategy?: 'optimized' | 'baseline'
  lazyRescale?: boolean
  lazyOutput?: boolean
  rescaleGroups?: boolean
}

/** The policy the options ask for; the baseline strategy rescales after every product, at the end. */
export function rescalePolicyOf(options: RescaleOptions): RescalePolicy {
  const baseline = options.strategy === 'baseline'
  return {
    lazyFirst: !baseline && (options.lazyRescale ?? true),
    lazyOutput: !baseline && options.lazyOutput === true,
    rescaleAt: (options.rescaleGroups ?? !baseline) ? 'groups' : 'end',
  }
}

/** True when the dense step at `index` of `steps` is rescaled lazily under `policy`. */
export function isLazyProduct(
  policy: RescalePolicy,
  steps: readonly Step[],
  index: number,
): boolean {
  let lastDense = -1
  steps.forEach((step, i) => {
    if (step.kind === 'linear') lastDense = i
  })
  const lazyFirst = policy.lazyFirst && index === 0 && steps[1]?.kind === 'square'
  const lazyLast =
    policy.lazyOutput && index === lastDense && index > 0 && steps[index - 1]?.kind === 'square'
  return lazyFirst || lazyLast
}

/**
 * The rescale settings compile.ts tries per ring, cheapest first: lazy output (one level fewer),
 * then the lazy first product only, then eager rescaling everywhere (the most precise: its scales
 * may be raised for a precision target, select-parameters.ts). Settings the options fix are kept.
 */
export function rescaleCandidates(options: RescaleOptions): RescaleOptions[] {
  if (options.strategy === 'baseline') return [{ lazyOutput: options.lazyOutput ?? false }]
  const lazyOutputs = options.lazyOutput !== undefined ? [options.lazyOutput] : [true, false]
  const candidates: RescaleOptions[] = lazyOutputs.map((lazyOutput) => ({ lazyOutput }))
  if (options.lazyRescale === undefined && options.lazyOutput !== true) {
    candidates.push({ lazyOutput: false, lazyRescale: false })
  }
  return candidates
}

/** A lowered product that is not rescaled (its plaintexts have the fixed weight scale). */
export function isLazy(op: MatVecOp): boolean {
  return op.scale.kind === 'fixed'
}

/** How a lowered plan rescales, as parameter selection needs it. */
export function planRescaling(plan: Pick<HePlan, 'ops' | 'depth'>): {
  /** Some product is lazy: the chain needs room for a product scale before its rescale. */
  hasLazyProduct: boolean
  /** The last product is lazy (and something was rescaled before it): the output keeps its scale. */
  lazyOutput: boolean
} {
  const products = plan.ops.filter((op): op is MatVecOp => op.kind === 'matVec')
  const last = products[products.length - 1]
  return {
    hasLazyProduct: products.some(isLazy),
    lazyOutput: plan.depth > 0 && last !== undefined && isLazy(last),
  }
}
