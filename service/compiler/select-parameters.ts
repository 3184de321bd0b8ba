/**
 * Chooses N, the modulus chain and the scales for a lowered plan (DESIGN.md §CKKS parameters).
 *
 * - The chain follows the plan's nominal scale walk: a product with a 'target' rule rescales by a
 *   prime of (current scale bits + weight bits − target bits), a rescale after a square by half the
 *   square's scale bits, so every plaintext keeps >= weightScaleBits of precision.
 * - q0 = output scale bits + integer headroom: ceil(log2(max|output| · margin)) + 1 (sign) bits, and
 *   more if an intermediate value at a lower level needs it (ranges from calibration).
 * - The special prime takes the rest of the budget up to 60 bits (at least the largest data prime):
 *   the key-switching error shrinks with it.
 * - N: the smallest ring whose 128-bit budget (core/ckks/parameter-set.ts) holds the chain, and whose
 *   slots hold the layout (the caller lowers once per candidate N).
 * - scaleBits: the largest value <= maxScaleBits that fits (40 for the eager chain as in DESIGN.md;
 *   30 with lazy rescaling, whose post-square primes are scaleBits + weightScaleBits <= 60 bits).
 */
import {
  MAX_COEFF_MODULUS_BITS,
  MAX_PRIME_BITS,
  MIN_PRIME_BITS,
  validateParameterSet,
} from '../../core/ckks/parameter-set.ts'
import { targetBits, type HeParameters } from './he-parameters.ts'
import type { ValueRanges } from './measure-ranges.ts'
import { depthOfChebyshev, type HePlan } from './plan/plan.ts'
import { isLazy, planRescaling } from './rescale-policy.ts'
import { unreachable } from '../../core/unreachable.ts'
import { toleranceFor } from './tolerance.ts'

export interface SelectParametersOptions {
  /** Largest input scale bits tried (default 40, or 30 when the plan has a lazy product). */
  maxScaleBits?: number
  /** Smallest acceptable scale bits before moving to a larger N (default 24). */
  minScaleBits?: number
  /** Largest weight scale bits of lazy products (default 32). */
  maxWeightScaleBits?: number
  /** Largest output scale bits (default 26: keeps q0 and the output ciphertext small). */
  maxOutputScaleBits?: number
  /** Largest q0 of a lazy-output chain (default 57 bits: output ciphertext <= 117 KB at N=8192). */
  maxOutputPrimeBits?: number
  /** Safety factor on the calibrated max |value| (default 2). */
  headroomMargin?: number
  /**
   * Required precision relative to the largest output on the calibration inputs: the chosen
   * parameters' tolerance must be <= outputPrecision × max |output| (default 1e-3).
   */
  outputPrecision?: number
}

export interface ParameterChoice {
  parameters: HeParameters
  totalBits: number
  budgetBits: number
  reasons: string[]
}

/** Scale bits of the output for a plan whose last product is lazy (fixed), by the nominal walk. */
function finalScaleBits(plan: HePlan, scaleBits: number, weightScaleBits: number): number {
  const ranges: ValueRanges = {
    inputs: [],
    afterOp: plan.ops.map(() => 1),
    inputMaxAbs: 1,
    outputMaxAbs: 1,
  }
  return (
    chainFor(plan, ranges, { scaleBits, weightScaleBits, outputScaleBits: 0 }, 1, true)
      ?.finalBits ?? 0
  )
}

/** Bits of the data primes q0..q(depth) for given scales, or undefined when a prime is out of range. */
export function chainFor(
  plan: HePlan,
  ranges: ValueRanges,
  scales: { scaleBits: number; weightScaleBits: number; outputScaleBits: number },
  headroomMargin: number,
  walkOnly = false,
): { dataBits: number[]; headroomBits: number; finalBits: number } | undefined {
  const parameters = { ...scales, polyModulusDegree: 0, coeffModulusBits: [] } as HeParameters
  const bits = new Array<number>(plan.depth + 1).fill(0)
  let level = plan.depth
  let current = scales.scaleBits
  const states: Array<{ level: number; scaleBits: number; maxAbs: number }> = []
  plan.ops.forEach((op, index) => {
    switch (op.kind) {
      case 'matVec':
        if (op.scale.kind === 'target') {
          const target = targetBits(parameters, op.scale.role)
          bits[level] = current + scales.weightScaleBits - target
          current = target
          level--
        } else {
          current += scales.weightScaleBits // a lazy product (rescale-policy.ts)
        }
        break
      case 'square':
        current *= 2
        break
      case 'rescale': {
        // Before a lazy (unrescaled) product, drop as much scale as one prime can (keeping >= 2^20),
        // so that the product still fits q0; otherwise keep half of the square's scale.
        const nextProduct = plan.ops.slice(index + 1).find((next) => next.kind === 'matVec')
        const beforeLazy = nextProduct?.kind === 'matVec' && isLazy(nextProduct)
        const prime = beforeLazy ? Math.min(MAX_PRIME_BITS, current - 20) : Math.floor(current / 2)
        bits[level] = prime
        current -= prime
        level--
        break
      }
      case 'chebyshev':
        // Every level of a polynomial rescales a product of two ~2^scaleBits values (or lands a
        // plaintext product on 2^scaleBits): one prime of scaleBits each.
        for (let k = 0; k < depthOfChebyshev(op); k++) {
          bits[level] = scales.scaleBits
          level--
        }
        current = scales.scaleBits
        break
      case 'modSwitchTo':
        level = op.level
        break
      case 'fold':
      case 'addPlain':
        break
      default:
        return unreachable(op)
    }
    states.push({ level, scaleBits: current, maxAbs: ranges.afterOp[index] })
  })
  const need = (maxAbs: number) =>
    Math.max(1, Math.ceil(Math.log2(Math.max(maxAbs, 1e-300) * headroomMargin)) + 1)
  let q0 = scales.outputScaleBits + need(ranges.outputMaxAbs)
  for (const state of states) {
    let above = 0
    for (let k = 1; k <= state.level; k++) above += bits[k]
    q0 = Math.max(q0, state.scaleBits + need(state.maxAbs) - above)
  }
  bits[0] = q0
  if (walkOnly) return { dataBits: bits, headroomBits: 0, finalBits: current }
  if (bits.some((b) => b < MIN_PRIME_BITS || b > MAX_PRIME_BITS)) return undefined
  return { dataBits: bits, headroomBits: q0 - scales.outputScaleBits, finalBits: current }
}

/** The outcome of selectParameters for one ring. */
export type Selection =
  | { fits: true; choice: ParameterChoice }
  | {
      fits: false
      /** Set when some chain fits the budget but none meets the precision target. */
      precision?: { tolerance: number; target: number }
    }

/**
 * Picks the scales and chain for a plan lowered for `polyModulusDegree`: the most precise chain
 * that fits the ring's 128-bit budget (scaleBits >= minScaleBits) and whose tolerance
 * (tolerance.ts) meets the precision target, outputPrecision × max |output| on the calibration
 * inputs. When the default caps (scale, output scale) cannot meet the target, larger scales are
 * tried before giving up on the ring.
 */
export function selectParameters(
  plan: HePlan,
  ranges: ValueRanges,
  polyModulusDegree: number,
  options: SelectParametersOptions = {},
): Selection {
  const target = (options.outputPrecision ?? DEFAULT_OUTPUT_PRECISION) * ranges.outputMaxAbs
  let best: { tolerance: number; target: number } | undefined
  const { hasLazyProduct: lazy } = planRescaling(plan)
  const passes: Array<{ raised: boolean }> = [{ raised: false }, { raised: true }]
  for (const { raised } of passes) {
    let misses = 0
    for (const candidate of fittingParameters(plan, ranges, polyModulusDegree, options, raised)) {
      // The exact encoding errors cost two FFTs per plaintext: only for a candidate the quick
      // spread-out model does not already rule out (the two agree within a small factor).
      const quick = toleranceFor(candidate.parameters, plan, ranges, undefined, 'spread')
      const tolerance =
        quick > QUICK_MARGIN * target ? quick : toleranceFor(candidate.parameters, plan, ranges)
      if (tolerance <= target) {
        const precision = options.outputPrecision ?? DEFAULT_OUTPUT_PRECISION
        candidate.reasons.push(
          `precision: tolerance ${tolerance.toPrecision(3)} (6σ of the CKKS error on the calibration inputs) <= target ${precision} x max|output| ${ranges.outputMaxAbs.toPrecision(3)} = ${target.toPrecision(3)}`,
        )
        return { fits: true, choice: candidate }
      }
      if (best === undefined || tolerance < best.tolerance) best = { tolerance, target }
      // An eager chain is never more precise at a smaller scale: go to the next pass. A lazy one
      // trades input scale against weight scale: keep looking.
      if (!lazy || ++misses >= 3) break
    }
  }
  return best === undefined ? { fits: false } : { fits: false, precision: best }
}

/** A candidate whose quick tolerance exceeds the target this many times is not checked exactly. */
const QUICK_MARGIN = 2

/** Relative precision required by default: error <= 1e-3 × max |output| (about 10 bits). */
export const DEFAULT_OUTPUT_PRECISION = 1e-3

/**
 * The chains that fit the ring, most precise first. `raised`: scales above the default caps
 * (eager chains: input scale up to 50 bits, output scale up to the input scale).
 */
function* fittingParameters(
  plan: HePlan,
  ranges: ValueRanges,
  polyModulusDegree: number,
  options: SelectParametersOptions,
  raised: boolean,
): Generator<ParameterChoice> {
  const { hasLazyProduct: lazy, lazyOutput } = planRescaling(plan)
  const maxScaleBits = options.maxScaleBits ?? (lazy ? 30 : raised ? 50 : 40)
  const minScaleBits = options.minScaleBits ?? 24
  const margin = options.headroomMargin ?? 2
  const budgetBits = MAX_COEFF_MODULUS_BITS[polyModulusDegree]
  if (budgetBits === undefined || plan.slotCount !== polyModulusDegree / 2) return
  for (let scaleBits = maxScaleBits; scaleBits >= minScaleBits; scaleBits--) {
    // Eager chains use weight scale = scaleBits (one prime of scaleBits per level, as in DESIGN.md).
    let outputScaleBits =
      raised && !lazy ? scaleBits : Math.min(scaleBits, options.maxOutputScaleBits ?? 26)
    // Lazy chains: the post-square prime is s + w and the next product's prime s + 2w − out, both
    // <= 60 bits; within that, w as large as possible (weight rounding dominated the error at
    // w = 24: 1e-3 on MNIST logits vs 6e-5 at w = 28, bench/compile-variants.ts, `npm run bench:variants`).
    // Lazy output: q0 holds 2^(2s + 3w − 60) plus headroom. Measured max |error| on MNIST logits
    // (bench/compile-variants.ts, bench/README.md): s/w = 20/24: 0.41, 22/22: 0.08, 28/18: 0.043, 27/19: 0.021,
    // 26/20: 0.011; so w = s − 7 and s as large as fits.
    const weightScaleBits = lazyOutput
      ? Math.min(
          options.maxWeightScaleBits ?? Math.max(16, scaleBits - (raised ? 6 : 7)),
          MAX_PRIME_BITS - scaleBits,
        )
      : lazy
        ? Math.min(
            options.maxWeightScaleBits ?? 32,
            MAX_PRIME_BITS - scaleBits,
            Math.floor((MAX_PRIME_BITS + outputScaleBits - scaleBits) / 2),
          )
        : scaleBits
    // A lazy output keeps the post-square scale times the weight scale (the chain walk's end).
    if (lazyOutput) outputScaleBits = finalScaleBits(plan, scaleBits, weightScaleBits)
    const chain = chainFor(plan, ranges, { scaleBits, weightScaleBits, outputScaleBits }, margin)
    if (chain === undefined) continue
    // The output ciphertext is 2·N·bits(q0)/8 bytes: keep it under 128 KB at N=8192 (57 bits).
    if (lazyOutput && chain.dataBits[0] > (options.maxOutputPrimeBits ?? 57)) continue
    // The special prime P: key switching adds an error ~ q_max / P times σ N (rotations,
    // relinearizations), so P takes whatever the budget leaves, up to 60 bits, and at least the
    // largest data prime. At P = q_max = 27 bits, 9 fold rotations alone added 2e-2 to outputs at
    // scale 2^26; at P = 45 bits 5e-4 (N=8192, test/service/runtime/seal-chebyshev.test.ts model).
    const dataTotal = chain.dataBits.reduce((a, b) => a + b, 0)
    const special = Math.max(
      Math.max(...chain.dataBits),
      Math.min(MAX_PRIME_BITS, budgetBits - dataTotal),
    )
    const coeffModulusBits = [...chain.dataBits, special]
    const totalBits = dataTotal + special
    if (totalBits > budgetBits) continue
    const parameters: HeParameters = {
      polyModulusDegree,
      coeffModulusBits,
      scaleBits,
      weightScaleBits,
      outputScaleBits,
    }
    if (validateParameterSet(parameters).length > 0) continue
    const reasons = [
      `N = ${polyModulusDegree}: smallest ring whose 128-bit budget (${budgetBits} bits) holds the chain and ${plan.slotCount} slots hold the layout`,
      `depth ${plan.depth}: ${plan.depth + 1} data primes [${chain.dataBits.join(', ')}] + special prime ${special} = ${totalBits} bits`,
      `scale 2^${scaleBits} for the input (largest <= ${maxScaleBits} that fits${raised ? ', raised for precision' : ''}), weights 2^${weightScaleBits}, output 2^${outputScaleBits}`,
      `q0 = ${chain.dataBits[0]} bits: output scale ${outputScaleBits} + ${chain.headroomBits} bits of headroom for max|output| ${ranges.outputMaxAbs.toPrecision(3)} x margin ${margin}`,
    ]
    yield { parameters, totalBits, budgetBits, reasons }
  }
}
