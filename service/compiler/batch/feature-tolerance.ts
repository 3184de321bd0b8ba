/**
 * featureToleranceFor: the bound on |HE output − exact output| of a FeaturePlan (the features
 * packing), the per-feature twin of tolerance.ts. The plan runs on a noise FeatureBackend: exact
 * register values plus, per slot (one input each), the standard deviation of the CKKS error, with
 * the error model of noise-backend.ts (Costache et al., eprint 2022/162) and these per-feature rules:
 * - a scalar weight w is the integer round(w·Δ_w) (service/runtime/seal/feature-backend.ts): a
 *   rounding error of at most 0.5/Δ_w times |x| of the register it multiplies;
 * - a linear map of fresh, independently encrypted registers adds variances; of registers derived
 *   from the same inputs (after the first map) it adds deviations weighted by |w|, which bounds any
 *   correlation;
 * - a square left unrelinearized (deferred, FeatureBackend.settle) pays its key switch when it is
 *   settled, at that level and scale, not at the square's; a rescale settles it first (the backend
 *   never rescales three polynomials: the rounding of c2 decrypts times s²);
 * - constants are encoded at the register's scale (CKKS encoding rounding, as a plaintext).
 * The tolerance is 6 standard deviations of the worst output over the inputs.
 */
import type { HeParameters } from '../he-parameters.ts'
import { executeFeaturePlan, type FeatureBackend } from '../plan/execute-feature-plan.ts'
import type { FeaturePlan } from '../plan/feature-plan.ts'
import { scheduleFeatureScales } from './feature-schedule.ts'
import { ckksNoiseTerms } from '../noise-backend.ts'

const SIGMAS = 6
/** Inputs propagated (one per slot). */
const MAX_INPUTS = 64

interface NoisyRegister {
  values: Float64Array
  deviation: Float64Array
  level: number
  scale: number
  /** Errors independent of every other register's (fresh encryptions). */
  independent: boolean
  /** A square whose relinearization (one key switch) is still to come. */
  pending: boolean
}

/**
 * @param inputs model inputs (after preprocessing); the first MAX_INPUTS are propagated.
 * @param primes the data primes as doubles (default: nominal 2^bits).
 */
export function featureToleranceFor(
  parameters: HeParameters,
  plan: FeaturePlan,
  inputs: ReadonlyArray<ArrayLike<number>>,
  primes?: readonly number[],
): number {
  const nominal = primes ?? parameters.coeffModulusBits.slice(0, -1).map((bits) => 2 ** bits)
  const used = inputs.slice(0, MAX_INPUTS)
  const backend = createNoiseFeatureBackend(plan, parameters, nominal)
  const registers = Array.from({ length: plan.inputSize }, (_, i) =>
    backend.encrypt(Float64Array.from(used, (x) => x[i])),
  )
  const outputs = executeFeaturePlan(plan, backend, registers)
  let worst = 0
  for (const output of outputs) for (const d of output.deviation) worst = Math.max(worst, d)
  return SIGMAS * worst
}

function createNoiseFeatureBackend(
  plan: FeaturePlan,
  parameters: HeParameters,
  primes: readonly number[],
): FeatureBackend<NoisyRegister> & { encrypt(values: Float64Array): NoisyRegister } {
  const schedule = scheduleFeatureScales(plan, parameters, primes)
  const { rounding, rescaleNoise, keySwitchNoise, keySwitchOffset, freshNoise } = ckksNoiseTerms(
    parameters,
    primes,
  )
  const addIndependent = (deviation: Float64Array, extra: number) => {
    for (let s = 0; s < deviation.length; s++) deviation[s] = Math.hypot(deviation[s], extra)
  }
  const settle = (x: NoisyRegister) => {
    if (!x.pending) return
    const noise = keySwitchNoise(x.level) / x.scale
    const offset = keySwitchOffset(x.level)
    for (let s = 0; s < x.deviation.length; s++)
      x.deviation[s] = Math.hypot(x.deviation[s], noise, offset[s] / x.scale)
    x.pending = false
  }
  return {
    encrypt(values) {
      const scale = 2 ** parameters.scaleBits
      const deviation = new Float64Array(values.length).fill(freshNoise / scale)
      return { values, deviation, level: plan.depth, scale, independent: true, pending: false }
    },
    linearMap(op, opIndex, inputs) {
      const matrix = plan.matrices[op.matrix]
      const weightScale = schedule.weightScales[opIndex] ?? 2 ** parameters.weightScaleBits
      const weightRounding = 0.5 / weightScale
      const length = inputs[0].values.length
      const independent = inputs.every((x) => x.independent)
      return Array.from({ length: op.rows }, (_, j) => {
        const values = new Float64Array(length)
        const variance = new Float64Array(length)
        const correlated = new Float64Array(length)
        for (let i = 0; i < op.columns; i++) {
          const w = matrix[j * op.columns + i]
          if (w === 0) continue
          const x = inputs[i]
          for (let s = 0; s < length; s++) {
            values[s] += w * x.values[s]
            const carried = Math.abs(w) * x.deviation[s]
            const rounded = Math.abs(x.values[s]) * weightRounding
            variance[s] += rounded * rounded + (independent ? carried * carried : 0)
            if (!independent) correlated[s] += carried
          }
        }
        const deviation = variance.map((v, s) => Math.sqrt(v) + correlated[s])
        return {
          values,
          deviation,
          level: inputs[0].level,
          scale: inputs[0].scale * weightScale,
          independent: false,
          pending: inputs.some((x) => x.pending),
        }
      })
    },
    addConstantInPlace(x, value) {
      for (let s = 0; s < x.values.length; s++) x.values[s] += value
      addIndependent(x.deviation, rounding / x.scale)
    },
    multiplyConstant(x, value) {
      const relative = 0.5 / x.scale
      return {
        ...x,
        values: x.values.map((v) => v * value),
        deviation: x.deviation.map(
          (d, s) => Math.abs(value) * d + Math.abs(x.values[s]) * relative,
        ),
        scale: x.scale * x.scale,
      }
    },
    squareInPlace(x) {
      // A register squared twice is relinearized first (SEAL squares 2-polynomial ciphertexts).
      settle(x)
      for (let s = 0; s < x.values.length; s++) {
        x.deviation[s] = 2 * Math.abs(x.values[s]) * x.deviation[s] + x.deviation[s] ** 2
        x.values[s] *= x.values[s]
      }
      x.scale *= x.scale
      x.pending = true
    },
    settle,
    rescaleInPlace(x) {
      settle(x)
      x.scale /= primes[x.level]
      x.level--
      addIndependent(x.deviation, rescaleNoise / x.scale)
    },
    addInPlace(accumulator, x) {
      for (let s = 0; s < accumulator.values.length; s++) {
        accumulator.values[s] += x.values[s]
        accumulator.deviation[s] += x.deviation[s]
      }
    },
    free() {},
  }
}
