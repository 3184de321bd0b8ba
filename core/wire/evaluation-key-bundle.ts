/**
 * What a client uploads besides its input: the evaluation keys, SEAL-serialized. There is no wire
 * type for a secret key, so none can be sent (STYLE.md §8).
 */

declare const evaluationKeyBundleBrand: unique symbol

/**
 * Galois keys (for the model's rotation steps) and, when the model squares ciphertexts,
 * relinearization keys; each SEAL-serialized (seed-compressed, zstd by default). Made only by
 * ClientKeys.evaluationKeyBundle(); the brand keeps other byte arrays from passing for one.
 * The multipart field names of POST /v1/keys are these property names.
 */
export interface EvaluationKeyBundle {
  readonly galoisKeys: Uint8Array
  readonly relinKeys?: Uint8Array
  /** The public key, only for a model served with noise flooding (card.he.flooding). */
  readonly publicKey?: Uint8Array
  readonly [evaluationKeyBundleBrand]: true
}

/** Public, non-secret shape of received key bytes (what a server gets from a multipart upload). */
export interface ReceivedKeyBytes {
  galoisKeys: Uint8Array
  relinKeys?: Uint8Array
  publicKey?: Uint8Array
}

/** Wraps serialized evaluation keys (for ClientKeys only). */
export function toEvaluationKeyBundle(keys: ReceivedKeyBytes): EvaluationKeyBundle {
  return Object.freeze({ ...keys }) as EvaluationKeyBundle
}
