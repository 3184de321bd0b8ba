import type { InputLayout } from '../card.ts'
import type { CkksContext } from '../ckks/context.ts'
import { PrivinferError } from '../errors.ts'
import type { CompressionMode } from '../wire/compression.ts'
import type { ClientKeys, EncryptedInput } from './client-keys.ts'
import { packInput } from './slots.ts'

export interface EncryptInputOptions {
  /** Level to encrypt at (card.he.inputLevel); defaults to the top level. */
  level?: number
  /** Serialization compression; defaults to zstd. */
  compression?: CompressionMode
}

/**
 * Packs input `x` into slots per `layout` (core/he/slots.ts), encodes it at scale 2^scaleBits at the
 * top level (or `options.level`) and encrypts it with the client's secret key (symmetric,
 * seed-compressed, zstd): the bytes to POST as the `input` file.
 *
 * @param x the model input after preprocessing: layout.inputSize finite numbers.
 * @throws PrivinferError INPUT_INVALID for a wrong length, non-finite values, or values too large
 *   to encode at this scale; INVALID_MODEL for a layout that does not fit the context.
 */
export function encryptInput(
  ctx: CkksContext,
  keys: ClientKeys,
  layout: InputLayout,
  x: ArrayLike<number>,
  options: EncryptInputOptions = {},
): EncryptedInput {
  checkKeysContext(ctx, keys)
  if (layout.slotCount !== ctx.slotCount) {
    throw new PrivinferError(
      'INVALID_MODEL',
      `input layout is for ${layout.slotCount} slots, the parameters have ${ctx.slotCount}`,
    )
  }
  return keys.encryptSerialized(packInput(layout, x), options)
}

/** @throws Error when the keys were made for another context (a programming error). */
export function checkKeysContext(ctx: CkksContext, keys: ClientKeys): void {
  if (keys.context !== ctx) throw new Error('ClientKeys belong to another CkksContext')
}
