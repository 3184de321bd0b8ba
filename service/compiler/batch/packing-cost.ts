/**
 * The cost model that picks a batch packing when `--packing` is not given: one query's time from
 * the plan's operation counts and per-operation costs measured with node-seal at N = 8192
 * (`npm run bench:batch`, bench/batch.ts; docs/design.md "Batch queries" has the table). Only the
 * ratio of the two estimates matters: it decides which packing is faster at the requested K.
 */
import type { FeaturePlan } from '../plan/feature-plan.ts'
import { countFeatureOps } from '../plan/feature-plan.ts'
import { countOps, type HePlan } from '../plan/plan.ts'
import type { PackingCosts } from './compile-batch.ts'

/** Milliseconds per operation, N = 8192, two data primes (the lazy chain), one thread. */
export interface OperationCosts {
  rotation: number
  plaintextProduct: number
  ciphertextProduct: number
  /** One scalar weight applied to one ciphertext and accumulated (features packing). */
  scalarProduct: number
}

// Side by side on this machine under load (bench/batch.ts primitives, medians): rotation 11.0,
// plaintext product 0.59 + add 0.08, square + relinearization 11.7, constant plaintext + product + add 0.85.
export const MEASURED_COSTS: OperationCosts = {
  rotation: 11.0,
  plaintextProduct: 0.67,
  ciphertextProduct: 11.7,
  scalarProduct: 0.85,
}

export function packingCosts(costs: OperationCosts = MEASURED_COSTS): PackingCosts {
  return {
    lanes(plan: HePlan) {
      const counts = countOps(plan)
      return (
        counts.rotations * costs.rotation +
        counts.plaintextProducts * costs.plaintextProduct +
        counts.ciphertextProducts * costs.ciphertextProduct
      )
    },
    features(plan: FeaturePlan) {
      const counts = countFeatureOps(plan)
      return (
        counts.scalarProducts * costs.scalarProduct +
        counts.ciphertextProducts * costs.ciphertextProduct
      )
    },
  }
}
