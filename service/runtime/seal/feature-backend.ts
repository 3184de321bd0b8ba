/**
 * The node-seal FeatureBackend (features batch packing): scalar weights applied as constant
 * plaintexts made per query (constant-plaintext.ts), since node-seal has no scalar multiply and
 * encoding every weight once at load would need 128 KB per weight (12.8 GB for a 784x128 layer at
 * N = 8192, two primes). Every Ciphertext it creates is counted until freed (`live`).
 */
import type { CkksContext } from '../../../core/ckks/context.ts'
import { PrivinferError } from '../../../core/errors.ts'
import type { Ciphertext, RelinKeys } from '../../../core/seal/load.ts'
import type { FeatureBackend } from '../../compiler/plan/execute-feature-plan.ts'
import type { FeaturePlan } from '../../compiler/plan/feature-plan.ts'
import type { FeatureSchedule } from '../../compiler/batch/feature-schedule.ts'
import { createConstantEncoder } from './constant-plaintext.ts'
import { rnsLinearMap } from './rns-linear-map.ts'

/**
 * How linear maps apply their scalar weights: 'rns' (default) one exact integer matrix product on
 * the ciphertexts' coefficients (rns-linear-map.ts; falls back to constants when weights are too
 * large for exact float64 sums); 'constants' one constant plaintext + multiply_plain + add per weight.
 */
export type LinearMapMethod = 'rns' | 'constants'

export interface SealFeatureBackend extends FeatureBackend<Ciphertext> {
  readonly live: number
  /** Frees the backend's own scratch objects. */
  delete(): void
}

export function createSealFeatureBackend(
  ctx: CkksContext,
  plan: FeaturePlan,
  schedule: FeatureSchedule,
  keys: { relinKeys?: RelinKeys },
  method: LinearMapMethod = 'rns',
): SealFeatureBackend {
  const { seal, evaluator } = ctx
  const constants = createConstantEncoder(ctx)
  const constant = new seal.Plaintext()
  const product = new seal.Ciphertext()
  const relinearize = (x: Ciphertext) => {
    if (keys.relinKeys === undefined) {
      throw new PrivinferError(
        'KEYS_MALFORMED',
        'the plan squares but no relinearization keys were given',
      )
    }
    evaluator.relinearizeInplace(x, keys.relinKeys)
  }
  let live = 0
  const fresh = () => {
    live++
    return new seal.Ciphertext()
  }
  return {
    get live() {
      return live
    },
    linearMap(op, opIndex, inputs) {
      const matrix = plan.matrices[op.matrix]
      const plainScale = schedule.weightScales[opIndex]
      if (plainScale === undefined) throw new Error(`op ${opIndex} has no weight scale`)
      const level = schedule.levels[opIndex]
      if (method === 'rns') {
        const viaRns = rnsLinearMap({
          ctx,
          constants,
          inputs,
          weights: matrix,
          rows: op.rows,
          columns: op.columns,
          plainScale,
          level,
        })
        if (viaRns !== undefined) {
          live += viaRns.length
          return viaRns
        }
      }
      const outputs: Ciphertext[] = []
      try {
        for (let j = 0; j < op.rows; j++) {
          let accumulator: Ciphertext | undefined
          for (let i = 0; i < op.columns; i++) {
            const weight = matrix[j * op.columns + i]
            if (weight === 0) continue
            constants.encode(weight, plainScale, level, constant)
            if (accumulator === undefined) {
              accumulator = fresh()
              outputs.push(accumulator)
              evaluator.multiplyPlain(inputs[i], constant, accumulator)
            } else {
              evaluator.multiplyPlain(inputs[i], constant, product)
              evaluator.addInplace(accumulator, product)
            }
          }
          if (accumulator === undefined) {
            throw new PrivinferError('PLAN_INVALID', `${op.layer}: output ${j} has no weight`)
          }
        }
        return outputs
      } catch (error) {
        for (const output of outputs) {
          live--
          output.delete()
        }
        throw error
      }
    },
    addConstantInPlace(x, value) {
      constants.encode(value, x.scale(), ctx.levelOf(x), constant)
      evaluator.addPlainInplace(x, constant)
    },
    multiplyConstant(x, value) {
      constants.encode(value, x.scale(), ctx.levelOf(x), constant)
      const out = fresh()
      evaluator.multiplyPlain(x, constant, out)
      return out
    },
    squareInPlace(x) {
      // A square of a deferred square would have 5 polynomials: relinearize that one first.
      if (x.size() > 2) relinearize(x)
      // Deferred: the outputs are relinearized once (settle), not every hidden unit.
      evaluator.squareInplace(x)
    },
    settle(x) {
      if (x.size() > 2) relinearize(x)
    },
    rescaleInPlace(x) {
      // Rescaling a 3-polynomial product rounds c2 too, whose error decrypts times s² (~h times
      // the c1·s term at N = 8192): 1e-3 instead of 2e-5 on outputs of 0.3 at 27-bit primes
      // (test/service/runtime/seal-batch-plans.test.ts). Relinearized first, the key switch's
      // error is divided by the rescale.
      if (x.size() > 2) relinearize(x)
      evaluator.rescaleToNextInplace(x)
    },
    addInPlace(accumulator, x) {
      evaluator.addInplace(accumulator, x)
    },
    free(x) {
      live--
      x.delete()
    },
    delete() {
      constant.delete()
      product.delete()
    },
  }
}
