/**
 * Constant plaintexts (the same real value c in every slot) made without the CKKS encoder.
 *
 * The canonical-embedding inverse of a constant vector is the constant polynomial c·Δ, whose NTT
 * form holds round(c·Δ) mod q_i in every coefficient of prime i: exactly what
 * CKKSEncoder::encode(vector of c, Δ) produces (its inverse FFT leaves only rounding dust below 1/2
 * in the other coefficients). Encoding that way costs an FFT and an NTT per constant (2.4 ms at
 * N = 8192 under load, bench/batch.ts); writing the coefficients into a serialized plaintext and
 * loading it costs 0.17 ms. node-seal has no scalar-times-ciphertext binding, so the features batch
 * packing needs one such constant per weight and query.
 *
 * Serialized layout (SEAL 4.1 Plaintext::save, compression none): 16-byte header, parms_id (32),
 * coeff_count (uint64), scale (double), then the coefficient DynArray (16-byte header, uint64 count,
 * count uint64 words, prime-major): the words start at byte 88. The template is made by SEAL itself
 * (encode + save), so only the scale and the words are rewritten.
 */
import type { CkksContext } from '../../../core/ckks/context.ts'
import type { Plaintext } from '../../../core/seal/load.ts'

const SCALE_OFFSET = 16 + 32 + 8
const WORDS_OFFSET = 16 + 32 + 8 + 8 + 16 + 8

export interface ConstantEncoder {
  /** Writes `value` at `scale` and `level` into `target` (a reusable Plaintext). */
  encode(value: number, scale: number, level: number, target: Plaintext): void
  /** round(value·scale) as an exact integer (what encode puts in every coefficient). */
  integerOf(value: number, scale: number): bigint
}

export function createConstantEncoder(ctx: CkksContext): ConstantEncoder {
  const n = ctx.params.polyModulusDegree
  const templates = Array.from({ length: ctx.topLevel + 1 }, (_, level) => {
    const plain = new ctx.seal.Plaintext()
    try {
      ctx.encoder.encode(new Float64Array(ctx.slotCount), 1, plain)
      if (level < ctx.topLevel)
        ctx.evaluator.plainModSwitchToInplace(plain, ctx.parmsIdAtLevel(level))
      const saved = plain.saveToArray(ctx.seal.ComprModeType.none) as Uint8Array
      const bytes = Uint8Array.from(saved)
      const expected = WORDS_OFFSET + 8 * n * (level + 1)
      if (bytes.length !== expected) {
        throw new Error(
          `unexpected plaintext serialization: ${bytes.length} bytes, ${expected} expected`,
        )
      }
      return {
        bytes,
        view: new DataView(bytes.buffer),
        words: new BigUint64Array(bytes.buffer, WORDS_OFFSET, n * (level + 1)),
      }
    } finally {
      plain.delete()
    }
  })
  const integerOf = (value: number, scale: number) => BigInt(Math.round(value * scale))
  return {
    integerOf,
    encode(value, scale, level, target) {
      const template = templates[level]
      const integer = integerOf(value, scale)
      template.view.setFloat64(SCALE_OFFSET, scale, true)
      for (let prime = 0; prime <= level; prime++) {
        const q = ctx.primeValues[prime]
        const residue = ((integer % q) + q) % q
        // One word, then doubling copies: 13 memmoves for N = 8192 instead of 8192 BigInt stores.
        const start = prime * n
        template.words[start] = residue
        for (let filled = 1; filled < n; filled *= 2) {
          template.words.copyWithin(start + filled, start, start + Math.min(filled, n - filled))
        }
      }
      target.loadFromArray(ctx.context, template.bytes)
    },
  }
}
