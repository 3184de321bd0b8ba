/**
 * Server side: the client's evaluation keys, loaded from their uploaded bytes and validated
 * against the model's context (core/wire/keys.ts).
 */
import type { CkksContext } from '../ckks/context.ts'
import type { GaloisKeys, PublicKey, RelinKeys } from '../seal/load.ts'
import { KeysMalformedError } from '../wire/errors.ts'
import type { ReceivedKeyBytes } from '../wire/evaluation-key-bundle.ts'
import { loadGaloisKeys, loadPublicKey, loadRelinKeys } from '../wire/keys.ts'

/** Loaded evaluation keys; the caller frees them with `delete()`. */
export interface EvaluationKeys {
  readonly galoisKeys: GaloisKeys
  readonly relinKeys?: RelinKeys
  /** The client's public key, for noise flooding (service/runtime/seal/flood-noise.ts). */
  readonly publicKey?: PublicKey
  /** Frees the keys. Idempotent. */
  delete(): void
}

export interface EvaluationKeyRequirements {
  /** card.he.galoisSteps: each must have its key. */
  galoisSteps: readonly number[]
  /** card.he.needsRelinKeys: relinearization keys must be present and valid. */
  relin: boolean
  /** card.he.flooding present: a public key must be present and valid. */
  publicKey?: boolean
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
  if (requirements.publicKey && (bundle.publicKey === undefined || bundle.publicKey.length === 0)) {
    throw new KeysMalformedError('publicKey', 'missing, and the model floods its results with it')
  }
  const galoisKeys = loadGaloisKeys(ctx, bundle.galoisKeys, requirements.galoisSteps)
  let relinKeys: RelinKeys | undefined
  let publicKey: PublicKey | undefined
  try {
    relinKeys = requirements.relin ? loadRelinKeys(ctx, bundle.relinKeys!) : undefined
    publicKey = requirements.publicKey ? loadPublicKey(ctx, bundle.publicKey!) : undefined
  } catch (error) {
    galoisKeys.delete()
    relinKeys?.delete()
    throw error
  }
  return ownEvaluationKeys(galoisKeys, relinKeys, publicKey)
}

/** Wraps SEAL key objects so that one idempotent `delete()` frees them all. */
export function ownEvaluationKeys(
  galoisKeys: GaloisKeys,
  relinKeys?: RelinKeys,
  publicKey?: PublicKey,
): EvaluationKeys {
  let isDeleted = false
  return {
    galoisKeys,
    relinKeys,
    ...(publicKey ? { publicKey } : {}),
    delete() {
      if (isDeleted) return
      isDeleted = true
      galoisKeys.delete()
      relinKeys?.delete()
      publicKey?.delete()
    },
  }
}
