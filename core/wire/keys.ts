/**
 * Evaluation keys on the wire: loading untrusted Galois and relinearization keys with validation
 * against the model's context, and the Galois element of a rotation step.
 *
 * SEAL's KSwitchKeys::load(context, ...) already runs is_valid_for (metadata: parms_id equal to the
 * key level's, ring dimension, decomposition count; data: every coefficient below its modulus).
 * Before it, the header, a size bound and the parms_id are checked here so that wrong parameters
 * are reported as such and oversized uploads never reach WebAssembly memory; after it, the keys the
 * model needs are checked to be present.
 */
import type { CkksContext } from '../ckks/context.ts'
import type { ParameterSet } from '../ckks/parameter-set.ts'
import type { GaloisKeys, PublicKey, RelinKeys } from '../seal/load.ts'
import {
  KeysMalformedError,
  KeysMissingStepsError,
  KeysWrongParametersError,
  type KeyKind,
} from './errors.ts'
import { inflatePrefix } from './inflate.ts'
import { loadUntrusted } from './load-untrusted.ts'
import { parseSealHeader, readParmsIdKey } from './seal-header.ts'
import { galoisKeysBytes, publicKeyBytes, relinKeysBytes, SEAL_HEADER_BYTES } from './sizes.ts'

/** SEAL's generator of the rotation group (GaloisTool::generator_). */
const GALOIS_GENERATOR = 3n

/**
 * The Galois element SEAL uses for a CKKS rotation by `step` slots (positive = left), as
 * GaloisTool::get_elt_from_step: 3^step mod 2N for step > 0, 3^(N/2 - |step|) mod 2N for step < 0,
 * and 2N - 1 (complex conjugation) for step 0.
 * @throws RangeError unless `step` is an integer with |step| < N/2.
 */
export function galoisElementForStep(parameters: ParameterSet | CkksContext, step: number): number {
  const params = 'params' in parameters ? parameters.params : parameters
  const slotCount = params.polyModulusDegree / 2
  if (!Number.isInteger(step) || Math.abs(step) >= slotCount) {
    throw new RangeError(`rotation step ${step} is not an integer with |step| < ${slotCount}`)
  }
  const m = BigInt(params.polyModulusDegree * 2)
  if (step === 0) return Number(m - 1n)
  let exponent = BigInt(step > 0 ? step : slotCount + step)
  let base = GALOIS_GENERATOR
  let element = 1n
  while (exponent > 0n) {
    if (exponent & 1n) element = (element * base) % m
    base = (base * base) % m
    exponent >>= 1n
  }
  return Number(element)
}

/** Distinct Galois elements for a list of rotation steps, in first-seen order. */
export function galoisElementsForSteps(params: ParameterSet, steps: readonly number[]): number[] {
  return [...new Set(steps.map((step) => galoisElementForStep(params, step)))]
}

/**
 * Loads untrusted Galois keys and checks that every required rotation step has its key.
 * Keys for extra steps are accepted within the size bound of `requiredSteps.length` full-size keys.
 * The caller owns (and must delete) the result.
 *
 * @param bytes SEAL-serialized GaloisKeys, any compression mode, seed-compressed or not.
 * @throws KeysMalformedError (KEYS_MALFORMED) for bytes that are not valid Galois keys of this
 *   context, or that exceed the size bound.
 * @throws KeysWrongParametersError (KEYS_WRONG_PARAMETERS) for keys of other parameters.
 * @throws KeysMissingStepsError (KEYS_MISSING_STEPS) listing the missing steps.
 * @throws RangeError for a required step that is not a valid rotation (a caller bug).
 */
export function loadGaloisKeys(
  ctx: CkksContext,
  bytes: Uint8Array,
  requiredSteps: readonly number[],
): GaloisKeys {
  const elements = requiredSteps.map((step) => galoisElementForStep(ctx.params, step))
  const distinctCount = new Set(elements).size
  return loadKSwitchKeys(
    ctx,
    bytes,
    'galoisKeys',
    galoisKeysBytes(ctx.params, distinctCount),
    () => new ctx.seal.GaloisKeys(),
    (galoisKeys) => {
      const missingSteps = requiredSteps.filter((_, index) => !galoisKeys.hasKey(elements[index]))
      if (missingSteps.length > 0) throw new KeysMissingStepsError([...new Set(missingSteps)])
    },
  )
}

/**
 * Loads untrusted relinearization keys (the key for s^2). The caller owns (and must delete) it.
 * @throws KeysMalformedError (KEYS_MALFORMED) for bytes that are not valid relinearization keys.
 * @throws KeysWrongParametersError (KEYS_WRONG_PARAMETERS) for keys of other parameters.
 */
export function loadRelinKeys(ctx: CkksContext, bytes: Uint8Array): RelinKeys {
  return loadKSwitchKeys(
    ctx,
    bytes,
    'relinKeys',
    relinKeysBytes(ctx.params),
    () => new ctx.seal.RelinKeys(),
    (relinKeys) => {
      // RelinKeys::get_index(2) = 0: the key switching s^2 to s. Exactly that one key is expected.
      if (relinKeys.size() !== 1 || !relinKeys.hasKey(2))
        throw new KeysMalformedError('relinKeys', 'not exactly the relinearization key for s^2')
    },
  )
}

/**
 * Loads an untrusted public key (uploaded only for models served with noise flooding:
 * service/runtime/seal/flood-noise.ts encrypts zero with it). The caller owns (and must delete) it.
 * @throws KeysMalformedError (KEYS_MALFORMED) for bytes that are not a public key of this context.
 * @throws KeysWrongParametersError (KEYS_WRONG_PARAMETERS) for a key of other parameters.
 */
export function loadPublicKey(ctx: CkksContext, bytes: Uint8Array): PublicKey {
  return loadUntrusted(ctx, bytes, {
    maxUncompressedBytes: publicKeyBytes(ctx.params),
    checkMetadata(uncompressed) {
      if (readParmsIdKey(uncompressed) !== ctx.keyParmsIdKey)
        throw new KeysWrongParametersError('publicKey')
    },
    refusedBeforeSeal: (problem) =>
      hasOtherParmsId(ctx, bytes)
        ? new KeysWrongParametersError('publicKey')
        : new KeysMalformedError('publicKey', problem.message),
    create: () => new ctx.seal.PublicKey(),
    refusedBySeal: (info) =>
      new KeysMalformedError('publicKey', `SEAL refused it (${info.message})`),
  })
}

function loadKSwitchKeys<T extends GaloisKeys | RelinKeys>(
  ctx: CkksContext,
  bytes: Uint8Array,
  kind: KeyKind,
  maxUncompressedBytes: number,
  create: () => T,
  checkLoaded: (keys: T) => void,
): T {
  return loadUntrusted(ctx, bytes, {
    maxUncompressedBytes,
    checkMetadata(uncompressed) {
      if (readParmsIdKey(uncompressed) !== ctx.keyParmsIdKey)
        throw new KeysWrongParametersError(kind)
    },
    // Keys of larger parameters (more primes) pass this context's size bound: their parms_id
    // still tells what they are.
    refusedBeforeSeal: (problem) =>
      hasOtherParmsId(ctx, bytes)
        ? new KeysWrongParametersError(kind)
        : new KeysMalformedError(kind, problem.message),
    create,
    refusedBySeal: (info) => new KeysMalformedError(kind, `SEAL refused them (${info.message})`),
    checkLoaded,
  })
}

/** True when the object's parms_id (read from its start only) is readable and not this context's. */
function hasOtherParmsId(ctx: CkksContext, bytes: Uint8Array): boolean {
  try {
    const header = parseSealHeader(bytes)
    const start =
      header.compression === 'none'
        ? bytes.subarray(SEAL_HEADER_BYTES)
        : inflatePrefix(header.compression, bytes.subarray(SEAL_HEADER_BYTES), 32)
    return start !== undefined && readParmsIdKey(start, 0) !== ctx.keyParmsIdKey
  } catch {
    return false
  }
}
