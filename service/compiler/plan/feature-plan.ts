/**
 * The per-feature ("one input per slot", CryptoNets: Gilad-Bachrach et al., ICML 2016) batch plan:
 * plain JSON-serializable data like HePlan, but over a vector of ciphertexts ("registers") instead of
 * one: register i holds value i of the current layer's vector for input k in slot k, for up to
 * slotCount inputs at once. A dense layer is then a matrix of scalar weights applied across
 * registers (no rotations, no Galois keys); squares act on each register.
 *
 * The scale walk (which products are lazy, where the rescales are) is the one of the single-input
 * plan lowered from the same steps, so both run on the same parameters (batch/lower-features.ts).
 * execute-feature-plan.ts interprets it over a FeatureBackend.
 */
import type { ScaleRule } from './plan.ts'
import { unreachable } from '../../../core/unreachable.ts'

/** registers'[j] = Σ_i W[j][i] · registers[i] for j < rows (W = matrices[matrix], row-major). */
export interface FeatureLinearOp {
  kind: 'linear'
  layer: string
  rows: number
  columns: number
  matrix: number
  scale: ScaleRule
  /** 'end': every output register is rescaled after its sum; 'none': lazy (rescale-policy.ts). */
  rescale: 'none' | 'end'
}

/** registers[j] += values[j], encoded at the register's level and scale (the bias). */
export interface FeatureAddConstantsOp {
  kind: 'addConstants'
  layer: string
  values: number[]
}

/** Every register x ← x² + linearCoefficient·x (relinearized). */
export interface FeatureSquareOp {
  kind: 'square'
  layer: string
  linearCoefficient: number
}

export interface FeatureRescaleOp {
  kind: 'rescale'
  layer: string
}

export type FeatureOp = FeatureLinearOp | FeatureAddConstantsOp | FeatureSquareOp | FeatureRescaleOp

export interface FeaturePlan {
  formatVersion: 1
  /** Inputs per query at most (= CKKS slots, N/2). */
  slotCount: number
  /** Rescales on the way; the inputs are at level `depth`. */
  depth: number
  /** Input registers (the model input size after preprocessing) and output registers. */
  inputSize: number
  outputSize: number
  ops: FeatureOp[]
  /** Row-major weight matrices, by id. */
  matrices: Float64Array[]
  needsRelinKeys: boolean
}

/** Operation counts (scalar products = non-zero weights, one ciphertext-constant product each). */
export function countFeatureOps(
  plan: Pick<FeaturePlan, 'ops' | 'matrices'>,
): Record<string, number> {
  const counts = {
    rotations: 0,
    scalarProducts: 0,
    ciphertextProducts: 0,
    ciphertextAdds: 0,
    constantAdds: 0,
    rescales: 0,
  }
  let registers = 0
  for (const op of plan.ops) {
    switch (op.kind) {
      case 'linear': {
        const matrix = plan.matrices[op.matrix]
        let nonZero = 0
        for (let index = 0; index < matrix.length; index++) if (matrix[index] !== 0) nonZero++
        counts.scalarProducts += nonZero
        counts.ciphertextAdds += Math.max(0, nonZero - op.rows)
        if (op.rescale === 'end') counts.rescales += op.rows
        registers = op.rows
        break
      }
      case 'addConstants':
        counts.constantAdds += op.values.filter((value) => value !== 0).length
        break
      case 'square':
        counts.ciphertextProducts += registers
        if (op.linearCoefficient !== 0) {
          counts.scalarProducts += registers
          counts.ciphertextAdds += registers
        }
        break
      case 'rescale':
        counts.rescales += registers
        break
      default:
        return unreachable(op)
    }
  }
  return counts
}
