/**
 * Server side: the client's evaluation keys, loaded from their uploaded bytes and validated
 * against the model's context (core/wire/keys.ts).
 */
import type { CkksContext } from '../ckks/context.ts'
import type { GaloisKeys, RelinKeys } from '../seal/load.ts'
import { KeysMalformedError } from '../wire/errors.ts'
import type { ReceivedKeyBytes } from '../wire/evaluation-key-bundle.ts'
import { loadGaloisKeys, loadRelinKeys } from '../wire/keys.ts'

/** Loaded evaluation keys; the caller frees them with `delete()`. */
export interface EvaluationKeys {
  readonly galoisKeys: GaloisKeys
  readonly relinKeys?: RelinKeys
  /** Frees the keys. Idempotent. */
  delete(): void
}

export interface EvaluationKeyRequirements {
  /** card.he.galoisSteps: each must have its key. */
  galoisSteps: readonly number[]
  /** card.he.needsRelinKeys: relinearization keys must be present and valid. */
  relin: boolean
}

/**
 * Loads and validates uploaded evaluation keys. Relinearization keys are loaded only when
 * required (extra bytes are ignored, not parsed).
 * @throws KeysMalformedError (KEYS_MALFORMED), also when required relinearization keys are absent.
 * @throws KeysWrongParametersError (KEYS_WRONG_PARAMETERS), KeysMissingStepsError (KEYS_MISSING_STEPS).
 */
export function loadEvaluationKeys(
  ctx: CkksContext,
  bundle: ReceivedKeyBytes,
  requirements: EvaluationKeyRequirements,
): EvaluationKeys {
  if (requirements.relin && (bundle.relinKeys === undefined || bundle.relinKeys.length === 0)) {
    throw new KeysMalformedError('relinKeys', 'missing, and the model needs them')
  }
  const galoisKeys = loadGaloisKeys(ctx, bundle.galoisKeys, requirements.galoisSteps)
  let relinKeys: RelinKeys | undefined
  try {
    relinKeys = requirements.relin ? loadRelinKeys(ctx, bundle.relinKeys!) : undefined
  } catch (error) {
    galoisKeys.delete()
    throw error
  }
  return ownEvaluationKeys(galoisKeys, relinKeys)
}

/** Wraps SEAL key objects so that one idempotent `delete()` frees them all. */
export function ownEvaluationKeys(galoisKeys: GaloisKeys, relinKeys?: RelinKeys): EvaluationKeys {
  let isDeleted = false
  return {
    galoisKeys,
    relinKeys,
    delete() {
      if (isDeleted) return
      isDeleted = true
      galoisKeys.delete()
      relinKeys?.delete()
    },
  }
}
