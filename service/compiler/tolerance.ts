/**
 * toleranceFor: a bound on |HE output − exact output| derived from the parameters and the plan,
 * used by tests and by `privinfer import` instead of a magic number.
 *
 * Model (CKKS noise heuristics of Costache, Curtis, Hales, Murphy, Ozbudak, Player, "On the precision
 * loss in approximate homomorphic encryption", eprint 2022/162; σ = 3.2, ternary secret of weight
 * h ≈ 2N/3): every error source is zero-mean and independent, so standard deviations (per slot, in
 * value units) add in quadrature and are propagated through the plan:
 * - fresh encryption + encoding: sqrt(N σ² + N/12) / inputScale;
 * - plaintext rounding: sqrt(N/12) / plaintextScale per weight, times ||x||₂ of the row's inputs;
 * - rescale: sqrt(N/12 · (1 + h)) / scale after the rescale;
 * - key switching (rotation, relinearization): sqrt(dnum · N/12) · σ · sqrt(N) · q_max / P / scale,
 *   with P >= q_max (special prime) this stays near the rescale term;
 * - a linear map multiplies the std by its largest row ℓ2 norm (Σ_j w_j² σ²), a square x² by 2·max|x|;
 * The tolerance is 6 standard deviations (a per-slot exceedance probability ~2e-9 for Gaussian
 * errors) of the output, times the output copies summed.
 */
import { rotate } from '../../core/layout/rotate.ts'
import { unreachable } from '../../core/unreachable.ts'
import type { HeParameters } from './he-parameters.ts'
import type { ValueRanges } from './measure-ranges.ts'
import { giantOffsetOf, type HePlan } from './plan/plan.ts'
import { scheduleScales } from './scale-schedule.ts'

const SIGMA = 3.2
const SIGMAS = 6

/** Largest row ℓ2 norm of a matVec (rows = output slot classes) and of the fold that follows. */
function matVecRowNorms(plan: HePlan, opIndex: number): { norm: number; products: number } {
  const op = plan.ops[opIndex]
  if (op.kind !== 'matVec') return { norm: 0, products: 0 }
  const { slotCount } = plan
  const squares = new Float64Array(slotCount)
  for (const group of op.groups) {
    for (const term of group.terms) {
      // Undo the giant pre-rotation so slot s is the output slot it contributes to.
      const diagonal = rotate(plan.plaintexts[term.plaintext], giantOffsetOf(op, group))
      for (let s = 0; s < slotCount; s++) squares[s] += diagonal[s] * diagonal[s]
    }
  }
  const next = plan.ops[opIndex + 1]
  let copies = 1
  if (next?.kind === 'fold') for (const stage of next.stages) copies *= stage.radix
  // After the fold an output slot sums `copies` slots; bound by copies × the largest slot.
  let max = 0
  for (let s = 0; s < slotCount; s++) max = Math.max(max, squares[s])
  const terms = op.groups.reduce((sum, group) => sum + group.terms.length, 0)
  return { norm: Math.sqrt(max * copies), products: terms * copies }
}

/**
 * @param ranges calibrated value ranges of this plan (measureRanges); max |x| enters the square's
 *   error amplification, with a margin of 2.
 */
export function toleranceFor(
  parameters: HeParameters,
  plan: HePlan,
  ranges: ValueRanges,
  primes?: readonly number[],
): number {
  const n = parameters.polyModulusDegree
  const dataBits = parameters.coeffModulusBits.slice(0, -1)
  const nominal = primes ?? dataBits.map((bits) => 2 ** bits)
  const special = 2 ** parameters.coeffModulusBits[parameters.coeffModulusBits.length - 1]
  const schedule = scheduleScales(plan, parameters, nominal)
  const rounding = Math.sqrt(n / 12)
  const rescaleNoise = Math.sqrt((n / 12) * (1 + (2 * n) / 3))
  const keySwitchNoise = (level: number) =>
    Math.sqrt((level + 1) * (n / 12)) * SIGMA * Math.sqrt(n) * (Math.max(...nominal) / special)
  let variance = (n * SIGMA * SIGMA + n / 12) / schedule.scales[0] ** 2
  let maxAbs = ranges.inputMaxAbs
  let margin = 1 // the input range is known exactly; later ranges get a margin of 2
  plan.ops.forEach((op, index) => {
    const scaleAfter = schedule.scales[index + 1]
    const level = schedule.levels[index]
    switch (op.kind) {
      case 'matVec': {
        const { norm, products } = matVecRowNorms(plan, index)
        // ||x||₂ over the products summed into one output: at most sqrt(products) · max|x|.
        const vectorNorm = Math.sqrt(products) * margin * maxAbs
        const plainScale = schedule.plaintexts[op.groups[0].terms[0].plaintext].scale
        const rotations = op.maxBaby + op.giantRotations
        variance = norm * norm * variance + ((rounding * vectorNorm) / plainScale) ** 2
        variance += rotations * (keySwitchNoise(level) / schedule.scales[index]) ** 2 * norm * norm
        if (op.rescale !== 'none') variance += (rescaleNoise / scaleAfter) ** 2
        break
      }
      case 'fold':
        for (const stage of op.stages)
          variance += (stage.radix - 1) * (keySwitchNoise(level) / scaleAfter) ** 2
        break
      case 'square': {
        const x = margin * maxAbs
        variance = 4 * x * x * variance + (keySwitchNoise(level) / scaleAfter) ** 2
        break
      }
      case 'rescale':
        variance += (rescaleNoise / scaleAfter) ** 2
        break
      case 'addPlain':
        variance += (rounding / scaleAfter) ** 2
        break
      case 'modSwitchTo':
        break
      default:
        return unreachable(op)
    }
    maxAbs = ranges.afterOp[index]
    margin = 2
  })
  return SIGMAS * Math.sqrt(variance) * plan.outputLayout.copies
}
