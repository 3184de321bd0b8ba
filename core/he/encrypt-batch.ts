/**
 * Client side of a batch query (core/card.ts BatchCard): pack up to maxBatch inputs, encrypt them
 * into the ciphertexts of one query, and decrypt the result ciphertexts into one output per input.
 */
import type { BatchCard } from '../card.ts'
import type { CkksContext } from '../ckks/context.ts'
import { PrivinferError } from '../errors.ts'
import { loadCiphertext, type CiphertextExpectation } from '../wire/ciphertext.ts'
import type { ClientKeys, EncryptedInput } from './client-keys.ts'
import { checkKeysContext } from './encrypt-input.ts'
import { packFeatures, packLanes, unpackFeatures, unpackLanes } from './batch-slots.ts'
import type { CompressionMode } from '../wire/compression.ts'

/** Ciphertexts a batch query sends (1 for lanes, one per input feature for features). */
export function inputCiphertextsOf(batch: BatchCard): number {
  return batch.packing === 'lanes' ? 1 : batch.inputCiphertexts
}

/** Ciphertexts a batch query returns. */
export function outputCiphertextsOf(batch: BatchCard): number {
  return batch.packing === 'lanes' ? 1 : batch.outputCiphertexts
}

/**
 * Encrypts 1..maxBatch model inputs (after preprocessing) as one batch query, at batch.inputLevel:
 * the bytes to POST as the `input` parts, in order.
 * @throws PrivinferError BATCH_TOO_LARGE, INPUT_INVALID (wrong lengths, non-finite values).
 */
export function encryptBatch(
  ctx: CkksContext,
  keys: ClientKeys,
  batch: BatchCard,
  inputs: ReadonlyArray<ArrayLike<number>>,
  options: { compression?: CompressionMode; inputSize?: number } = {},
): EncryptedInput[] {
  checkKeysContext(ctx, keys)
  if (inputs.length > batch.maxBatch) {
    throw new PrivinferError(
      'BATCH_TOO_LARGE',
      `this model's batch plan holds ${batch.maxBatch} inputs per query, got ${inputs.length}`,
      { got: inputs.length, maxBatch: batch.maxBatch },
    )
  }
  // Features queries upload one ciphertext per feature: uncompressed (still seed-compressed), since
  // the service's bounded zstd inflation costs more than the 14% of bytes it saves on loopback
  // (validated load 14 vs 5 ms per ciphertext under load: npm run bench:batch, "input load").
  const compression = options.compression ?? (batch.packing === 'features' ? 'none' : undefined)
  const encrypt = (slots: Float64Array) =>
    keys.encryptSerialized(slots, { level: batch.inputLevel, compression })
  if (batch.packing === 'lanes') {
    if (batch.input.layout.slotCount * batch.lanes !== ctx.slotCount) {
      throw new PrivinferError('INVALID_MODEL', 'the lanes layout does not fit the parameters')
    }
    return [encrypt(packLanes(batch.input.layout, batch.lanes, inputs))]
  }
  return packFeatures(batch.inputCiphertexts, ctx.slotCount, inputs).map(encrypt)
}

/**
 * Validates and decrypts the result ciphertexts of a batch query of `count` inputs.
 * @returns one output vector per input, in order (no padding rows).
 * @throws the typed ciphertext errors of loadCiphertext; BATCH_LAYOUT_MISMATCH for a wrong number
 *   of result ciphertexts.
 */
export function decryptBatch(
  ctx: CkksContext,
  keys: ClientKeys,
  batch: BatchCard,
  results: readonly Uint8Array[],
  count: number,
  expected: CiphertextExpectation = { level: batch.outputLevel, scale: null },
): Float64Array[] {
  checkKeysContext(ctx, keys)
  if (results.length !== outputCiphertextsOf(batch)) {
    throw new PrivinferError(
      'BATCH_LAYOUT_MISMATCH',
      `expected ${outputCiphertextsOf(batch)} result ciphertexts, got ${results.length}`,
      { got: results.length, expected: outputCiphertextsOf(batch) },
    )
  }
  const slots = results.map((bytes) => {
    const ciphertext = loadCiphertext(ctx, bytes, expected)
    try {
      return keys.decrypt(ciphertext)
    } finally {
      ciphertext.delete()
    }
  })
  if (batch.packing === 'lanes')
    return unpackLanes(batch.output.layout, batch.lanes, slots[0], count)
  return unpackFeatures(slots, count)
}
