/**
 * toleranceFor: a bound on |HE output − exact output| derived from the parameters and the plan,
 * used by tests, parameter selection and `privinfer import` instead of a magic number.
 *
 * The plan runs on the noise backend (noise-backend.ts: the exact values plus, per slot, the
 * standard deviation of the CKKS error of every operation and the fixed part that plaintext
 * encoding leaves, with the error model and its sources there) for each calibration input; the
 * tolerance is the fixed part plus 6 standard deviations of the rest (a per-slot exceedance
 * probability ~2e-9 for Gaussian errors) of the worst output over those inputs. Following the
 * actual values slot by slot (a square amplifies the error at x by 2|x|, not by 2 max|x|) keeps it
 * within a small factor of the measured errors (test/service/runtime/seal-run-plan.test.ts).
 */
import { contentsOfInputLayout, packByContents } from '../../core/layout/slot-contents.ts'
import type { HeParameters } from './he-parameters.ts'
import type { ValueRanges } from './measure-ranges.ts'
import { sealPrimes } from '../../core/ckks/seal-primes.ts'
import type { EncodingErrorMode } from './encoding-error.ts'
import { createNoiseBackend } from './noise-backend.ts'
import { executePlan } from './plan/execute-plan.ts'
import type { HePlan } from './plan/plan.ts'

const SIGMAS = 6
/** Inputs propagated (the first ones of the calibration set). */
const MAX_INPUTS = 8

/**
 * @param ranges measureRanges(plan, calibration inputs): its inputs are the ones propagated.
 * @param primes the data primes as doubles (default: the ones SEAL picks, core/ckks/seal-primes.ts;
 *   plaintext scales follow them, and the encoding's rounding follows the scales).
 * @param encoding 'spread' models plaintext encoding as noise (quicker, for a first check).
 */
export function toleranceFor(
  parameters: HeParameters,
  plan: HePlan,
  ranges: ValueRanges,
  primes?: readonly number[],
  encoding: EncodingErrorMode = 'exact',
): number {
  const data =
    primes ?? sealPrimes(parameters.polyModulusDegree, parameters.coeffModulusBits).slice(0, -1)
  const backend = createNoiseBackend(plan, parameters, data, encoding)
  const contents = contentsOfInputLayout(plan.inputLayout)
  const { outputSize, offset, period, copies } = plan.outputLayout
  let worst = 0
  for (const input of ranges.inputs.slice(0, MAX_INPUTS)) {
    const output = executePlan(plan, backend, backend.encrypt(packByContents(contents, input)))
    for (let j = 0; j < outputSize; j++) {
      let variance = 0
      let fixed = 0
      for (let t = 0; t < copies; t++) {
        variance += output.deviation[offset + j + t * period] ** 2
        fixed += output.fixed[offset + j + t * period]
      }
      worst = Math.max(worst, Math.abs(fixed) + SIGMAS * Math.sqrt(variance))
    }
  }
  return worst
}
