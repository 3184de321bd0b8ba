/**
 * Executes a FeaturePlan on any FeatureBackend. The inputs are not freed (the caller owns them);
 * every temporary is freed before returning; the output registers are new and owned by the caller.
 */
import { unreachable } from '../../../core/unreachable.ts'
import type { FeatureLinearOp, FeatureOp, FeaturePlan } from './feature-plan.ts'

/**
 * What the per-feature executor needs from a ciphertext implementation. `linearMap` is the one
 * primitive beyond HeBackend's: node-seal has no scalar-times-ciphertext binding, so how the
 * scalar weights are applied (constant plaintexts made per query, or an exact RNS matrix product on
 * the ciphertexts' coefficients) is the backend's business. The backend knows the plan and its scale
 * schedule (plaintext scales by op index).
 *
 * Ownership as in HeBackend: returned values are new and owned by the caller.
 */
export interface FeatureBackend<C> {
  /** [Σ_i W[j][i] · inputs[i] for j < op.rows] (W = the op's matrix); all-zero rows are an error. */
  linearMap(op: FeatureLinearOp, opIndex: number, inputs: readonly C[]): C[]
  /** x += value, encoded at x's level and scale. */
  addConstantInPlace(x: C, value: number): void
  /** x · value with value encoded at x's own scale (the linear term of x² + βx). */
  multiplyConstant(x: C, value: number): C
  /**
   * x ← x². The backend may leave the product unrelinearized (3 polynomials: the following linear
   * map and rescale work on it, and relinearizing its few outputs instead of every square saves a
   * key switch per hidden unit); `settle` finishes it.
   */
  squareInPlace(x: C): void
  /** Brings x back to 2 polynomials (relinearizes a deferred square); a no-op otherwise. */
  settle(x: C): void
  rescaleInPlace(x: C): void
  addInPlace(accumulator: C, x: C): void
  free(x: C): void
}

export interface FeatureExecuteOptions<C> {
  /**
   * Called after every op with its wall time (performance.now) and the registers after the op
   * (owned by the executor: read them, do not keep or free them).
   */
  onOp?: (
    timing: { opIndex: number; kind: FeatureOp['kind']; layer: string; ms: number },
    registers: readonly C[],
  ) => void
}

/** Runs every op of the plan on the input registers and returns the output registers. */
export function executeFeaturePlan<C>(
  plan: FeaturePlan,
  backend: FeatureBackend<C>,
  inputs: readonly C[],
  options: FeatureExecuteOptions<C> = {},
): C[] {
  if (inputs.length !== plan.inputSize) {
    throw new RangeError(`the plan reads ${plan.inputSize} registers, got ${inputs.length}`)
  }
  let registers: C[] | undefined
  const freeAll = (values: readonly C[] | undefined) => {
    for (const value of values ?? []) backend.free(value)
  }
  try {
    plan.ops.forEach((op, opIndex) => {
      const started = performance.now()
      switch (op.kind) {
        case 'linear': {
          const next = backend.linearMap(op, opIndex, registers ?? inputs)
          freeAll(registers)
          registers = next
          if (op.rescale === 'end')
            for (const register of registers) backend.rescaleInPlace(register)
          break
        }
        case 'addConstants':
          current(registers, op).forEach((register, j) => {
            if (op.values[j] !== 0) backend.addConstantInPlace(register, op.values[j])
          })
          break
        case 'square':
          for (const register of current(registers, op)) {
            if (op.linearCoefficient !== 0) {
              const linear = backend.multiplyConstant(register, op.linearCoefficient)
              backend.squareInPlace(register)
              backend.addInPlace(register, linear)
              backend.free(linear)
            } else backend.squareInPlace(register)
          }
          break
        case 'rescale':
          for (const register of current(registers, op)) backend.rescaleInPlace(register)
          break
        default:
          return unreachable(op)
      }
      const ms = performance.now() - started
      options.onOp?.({ opIndex, kind: op.kind, layer: op.layer, ms }, current(registers, op))
    })
    if (registers === undefined) throw new Error('feature plan without a linear op')
    for (const register of registers) backend.settle(register)
    return registers
  } catch (error) {
    freeAll(registers)
    throw error
  }
}

function current<C>(registers: C[] | undefined, op: FeatureOp): C[] {
  // ASSUME: lower-features.ts starts every plan with a linear op (the step IR starts with a dense step).
  if (registers === undefined) throw new Error(`${op.layer}: ${op.kind} before any linear op`)
  return registers
}
