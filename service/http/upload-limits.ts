/**
 * Upload size limits derived from a model's CKKS parameters, so a request cannot make the service
 * buffer more than the largest legitimate object. The exact SEAL 4.1 sizes come from core/wire/sizes.ts
 * (uncompressed, not seed-compressed: the largest legitimate form) plus the worst-case growth of a
 * compressor on incompressible data.
 */
import type { ModelCard } from '../../core/card.ts'
import {
  maxCiphertextBytes,
  maxGaloisKeyBytes,
  maxPublicKeyBytes,
  maxRelinKeyBytes,
} from '../../core/wire/sizes.ts'

export interface UploadLimits {
  /** Largest accepted input ciphertext (size 2, at card.he.inputLevel), bytes. */
  ciphertextBytes: number
  /** Largest accepted GaloisKeys object (card.he.galoisSteps), bytes. */
  galoisKeyBytes: number
  /** Largest accepted RelinKeys object, bytes. */
  relinKeyBytes: number
  /** Largest accepted PublicKey object (models with card.he.flooding), bytes. */
  publicKeyBytes: number
  /** `input` parts of one query: 1, or card.batch's input ciphertexts (features packing). */
  inputParts: number
}

/** Limits for one model card. */
export function uploadLimitsFor(card: ModelCard): UploadLimits {
  const params = {
    polyModulusDegree: card.he.polyModulusDegree,
    coeffModulusBits: card.he.coeffModulusBits,
    scaleBits: card.he.scaleBits,
  }
  return {
    ciphertextBytes: maxCiphertextBytes(
      params,
      Math.max(card.he.inputLevel, card.batch?.inputLevel ?? 0),
    ),
    galoisKeyBytes: maxGaloisKeyBytes(params, Math.max(1, new Set(card.he.galoisSteps).size)),
    relinKeyBytes: maxRelinKeyBytes(params),
    publicKeyBytes: maxPublicKeyBytes(params),
    inputParts: card.batch?.packing === 'features' ? card.batch.inputCiphertexts : 1,
  }
}
