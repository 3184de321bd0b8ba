/**
 * Upload size limits derived from a model's CKKS parameters (so a request cannot make the service
 * buffer more than the largest legitimate object).
 *
 * SEAL serializes a ciphertext of size 2 at level L as 2 * N * (L + 1) 64-bit words plus a small header;
 * a key-switching key (one per Galois step, one for relinearization) is K ciphertexts of size 2 over
 * the K data primes plus the special prime, K = number of data primes: K * 2 * N * (K + 1) words.
 * Seed-compressed keys are about half that; zstd/zlib compression never makes random-looking
 * coefficients smaller, and adds at most a small framing overhead, covered by the slack below.
 */
import type { ModelCard } from '../../core/card.ts'

export interface UploadLimits {
  /** Largest accepted input ciphertext, bytes. */
  ciphertextBytes: number
  /** Largest accepted GaloisKeys object, bytes. */
  galoisKeyBytes: number
  /** Largest accepted RelinKeys object, bytes. */
  relinKeyBytes: number
}

const WORD_BYTES = 8
/** SEAL header and object metadata per serialized object, bytes (generous). */
const HEADER_SLACK_BYTES = 4096

function withSlack(bytes: number): number {
  return Math.ceil(bytes * 1.01) + HEADER_SLACK_BYTES
}

/** Limits for one model card. */
export function uploadLimitsFor(card: ModelCard): UploadLimits {
  const n = card.he.polyModulusDegree
  const dataPrimes = card.he.coeffModulusBits.length - 1
  const ciphertextWords = 2 * n * (card.he.inputLevel + 1)
  const keySwitchKeyWords = dataPrimes * 2 * n * (dataPrimes + 1)
  const steps = Math.max(1, card.he.galoisSteps.length)
  return {
    ciphertextBytes: withSlack(ciphertextWords * WORD_BYTES),
    galoisKeyBytes: withSlack(steps * (keySwitchKeyWords * WORD_BYTES + HEADER_SLACK_BYTES)),
    relinKeyBytes: withSlack(keySwitchKeyWords * WORD_BYTES),
  }
}
