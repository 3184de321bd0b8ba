import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCkksContext, type CkksContext } from '../../../core/ckks/context.ts'
import { createClientKeys, type ClientKeys } from '../../../core/he/client-keys.ts'
import { loadSeal, type SealModule } from '../../../core/seal/load.ts'
import { saveCiphertext } from '../../../core/wire/ciphertext.ts'
import { COMPRESSION_MODES } from '../../../core/wire/compression.ts'
import {
  ciphertextBytes,
  galoisKeysBytes,
  maxCiphertextBytes,
  maxGaloisKeyBytes,
  maxRelinKeyBytes,
  relinKeysBytes,
} from '../../../core/wire/sizes.ts'
import { N8192 } from '../support/params.ts'

let seal: SealModule
let ctx: CkksContext
let keys: ClientKeys

beforeAll(async () => {
  seal = await loadSeal()
  ctx = createCkksContext(seal, N8192)
  keys = createClientKeys(ctx, { galoisSteps: [1, 5], relin: true })
})
afterAll(() => {
  keys.delete()
  ctx.delete()
})

describe('serialized sizes', () => {
  it("predict SEAL's compression-none ciphertext size at every level, and for size 3", () => {
    const ciphertext = keys.encrypt([1, 2, 3])
    const product = new seal.Ciphertext()
    ctx.evaluator.square(ciphertext, product)
    expect(saveCiphertext(ctx, product, 'none').length).toBe(ciphertextBytes(N8192, 3, 3))
    product.delete()
    for (let level = 3; level >= 0; level--) {
      expect(saveCiphertext(ctx, ciphertext, 'none').length).toBe(ciphertextBytes(N8192, level))
      for (const mode of COMPRESSION_MODES) {
        expect(saveCiphertext(ctx, ciphertext, mode).length).toBeLessThanOrEqual(
          maxCiphertextBytes(N8192, level),
        )
      }
      if (level > 0) ctx.evaluator.cipherModSwitchToNextInplace(ciphertext)
    }
    ciphertext.delete()
  })

  it("predict SEAL's compression-none size of full Galois and relinearization keys", () => {
    const local = keys.evaluationKeysForLocalUse()
    const galois = local.galoisKeys.saveToArray(seal.ComprModeType.none) as Uint8Array
    const relin = local.relinKeys!.saveToArray(seal.ComprModeType.none) as Uint8Array
    local.delete()
    expect(galois.length).toBe(galoisKeysBytes(N8192, 2))
    expect(relin.length).toBe(relinKeysBytes(N8192))
  })

  it('bound the uploads: seed-compressed keys in every mode fit, with room to spare', () => {
    for (const mode of COMPRESSION_MODES) {
      const bundle = keys.evaluationKeyBundle(mode)
      expect(bundle.galoisKeys.length).toBeLessThanOrEqual(maxGaloisKeyBytes(N8192, 2))
      expect(bundle.relinKeys!.length).toBeLessThanOrEqual(maxRelinKeyBytes(N8192))
      // Seed compression halves the keys.
      expect(bundle.relinKeys!.length).toBeLessThan(0.55 * relinKeysBytes(N8192))
    }
  })
})
