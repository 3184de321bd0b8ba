import type { OutputLayout } from '../card.ts'
import type { CkksContext } from '../ckks/context.ts'
import { loadCiphertext, type CiphertextExpectation } from '../wire/ciphertext.ts'
import type { ClientKeys } from './client-keys.ts'
import { checkKeysContext } from './encrypt-input.ts'
import { unpackOutput } from './slots.ts'

/**
 * Validates the service's result ciphertext, decrypts it and reads the outputs per `layout`
 * (summing `copies` slots per output; core/he/slots.ts).
 *
 * @param bytes the SEAL-serialized result (any compression mode).
 * @param expected the result's level (card.he.outputLevel), or a full expectation. With a bare
 *   level the scale is not pinned (any scale SEAL accepts): pass `scale` when the card states it.
 * @returns layout.outputSize values (the model's outputs, e.g. logits).
 * @throws the typed ciphertext errors of loadCiphertext (CIPHERTEXT_MALFORMED, _WRONG_PARAMETERS,
 *   _WRONG_LEVEL, _WRONG_SCALE, _WRONG_SIZE, _TRANSPARENT); INVALID_MODEL for a layout that does
 *   not fit the slots.
 */
export function decryptOutput(
  ctx: CkksContext,
  keys: ClientKeys,
  bytes: Uint8Array,
  layout: OutputLayout,
  expected: number | CiphertextExpectation,
): Float64Array {
  checkKeysContext(ctx, keys)
  const expectation: CiphertextExpectation =
    typeof expected === 'number' ? { level: expected, scale: null } : expected
  const result = loadCiphertext(ctx, bytes, expectation)
  try {
    return unpackOutput(layout, keys.decrypt(result))
  } finally {
    result.delete()
  }
}
