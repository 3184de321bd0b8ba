/**
 * Noise flooding, the compiler's side (circuit privacy; docs/threat-model.md "Noise flooding"): from
 * the model owner's statistical security parameter λ, the size of the flooding noise the service
 * adds to every result (service/runtime/seal/flood-noise.ts) and what it costs.
 *
 * - Circuit noise bound B_c (per coefficient of the decrypted polynomial): the plan's output tolerance
 *   τ (tolerance.ts: 6 standard deviations per slot, value units, Costache et al. heuristics) read
 *   back into the coefficient domain. A noise polynomial with independent coefficients of standard
 *   deviation s has slots (real parts) of deviation s·sqrt(N/2)/Δ, so B_c = τ·Δ/sqrt(N/2) at the
 *   output scale Δ. τ is conservative (measured errors of the bundled models are 30-150x below it),
 *   which only makes B_c, and the flood, larger.
 * - Flood: E uniform in [-2^k, 2^k) with k = ceil(λ + log2 B_c). Uniform smudging: for |e_i| <= B_c
 *   the laws of E_i + e_i and E_i differ by at most B_c / 2^(k+1) <= 2^-(λ+1) per coefficient, so the
 *   decrypted polynomial is within statistical distance N·2^-(λ+1) of one that depends on the outputs
 *   only (per result; Q results: Q·N·2^-(λ+1)).
 * - Precision cost: E's slots have deviation 2^k·sqrt(N/6)/Δ (uniform: variance 2^(2k)/3); 6 of
 *   them is the flood's share of the output tolerance, about 2·sqrt(3)·2^λ·τ (λ + 1.8 bits of
 *   output precision). Buying it back means λ + 2 more bits in every scale of the chain (the circuit
 *   noise is relative to the scales), about (depth + 1)·(λ + 2) more modulus bits.
 * - The last level must hold the flooded result: Δ·max|output|·2 + 2^k < q_out/2, else compiling
 *   fails with the bits missing.
 */
import type { FloodingCard } from '../../core/card.ts'
import { PrivinferError } from '../../core/errors.ts'
import type { HeParameters } from './he-parameters.ts'
import type { ValueRanges } from './measure-ranges.ts'
import type { HePlan } from './plan/plan.ts'
import { scheduleScales } from './scale-schedule.ts'
import { toleranceFor } from './tolerance.ts'

export interface FloodNoiseOptions {
  /** λ: statistical security parameter in bits (0..60); see the module comment. */
  securityBits: number
}

/** What the service adds to each result, and what it costs (card.he.flooding). */
export type FloodingPlan = FloodingCard

/**
 * @param primes exact data primes (the context's), else 2^bits.
 * @throws PrivinferError OPTION_INVALID for λ outside 0..60; NO_PARAMETERS_FIT when the output
 *   level cannot hold the flooded result.
 */
export function planFlooding(
  parameters: HeParameters,
  plan: HePlan,
  ranges: ValueRanges,
  options: FloodNoiseOptions,
  primes?: readonly number[],
): FloodingPlan {
  const lambda = options.securityBits
  if (!Number.isInteger(lambda) || lambda < 0 || lambda > 60) {
    throw new PrivinferError(
      'OPTION_INVALID',
      `floodNoise.securityBits must be an integer in 0..60, got ${lambda}`,
    )
  }
  const n = parameters.polyModulusDegree
  const nominal = primes ?? parameters.coeffModulusBits.slice(0, -1).map((bits) => 2 ** bits)
  const schedule = scheduleScales(plan, parameters, nominal)
  const outputScale = schedule.outputScale
  const circuitTolerance = toleranceFor(parameters, plan, ranges, primes)
  const noiseBound = (circuitTolerance * outputScale) / Math.sqrt(n / 2)
  const noiseBoundBits = Math.log2(noiseBound)
  const floodBits = Math.max(0, Math.ceil(lambda + noiseBoundBits))
  const floodDeviation = (2 ** floodBits * Math.sqrt(n / 6)) / outputScale
  const outputTolerance = Math.hypot(circuitTolerance, 6 * floodDeviation)
  let outputModulus = 1
  for (let level = 0; level <= schedule.outputLevel; level++) outputModulus *= nominal[level]
  const largest = 2 * ranges.outputMaxAbs * outputScale + noiseBound + 2 ** floodBits
  const headroomBits = Math.log2(outputModulus / 2) - Math.log2(largest)
  if (headroomBits < 1) {
    throw new PrivinferError(
      'NO_PARAMETERS_FIT',
      `noise flooding at ${lambda} bits adds noise up to 2^${floodBits} per coefficient; the output level ` +
        `(${Math.log2(outputModulus).toFixed(1)} bits, scale 2^${Math.log2(outputScale).toFixed(1)}) lacks ` +
        `${(1 - headroomBits).toFixed(1)} bits to hold it: lower securityBits or give q0 more bits`,
      { securityBits: lambda, floodBits, missingBits: 1 - headroomBits },
    )
  }
  return {
    securityBits: lambda,
    noiseBoundBits,
    floodBits,
    statisticalDistanceLog2: Math.log2(n) - lambda - 1,
    circuitTolerance,
    floodDeviation,
    outputTolerance,
    headroomBits,
    extraModulusBitsForSamePrecision: (plan.depth + 1) * (lambda + 2),
  }
}
