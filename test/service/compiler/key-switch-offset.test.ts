/**
 * The key-switch offset of the noise model (noise-backend.ts ckksNoiseTerms): a rotation's error
 * holds a part that every query under one key set shares, large at the first slots. Measured on
 * SEAL over 32 key sets (4 encryptions of zero each, averaged, so the per-query noise mostly
 * cancels) against the predicted deviation.
 */
import { describe, expect, it } from 'vitest'
import { createCkksContext } from '../../../core/ckks/context.ts'
import { createClientKeys } from '../../../core/he/client-keys.ts'
import { loadSeal } from '../../../core/seal/load.ts'
import { ckksNoiseTerms } from '../../../service/compiler/noise-backend.ts'

const N = 4096
const KEY_SETS = 32
const parameters = {
  polyModulusDegree: N,
  coeffModulusBits: [34, 36, 36],
  scaleBits: 31,
  weightScaleBits: 31,
  outputScaleBits: 26,
}

describe('key-switch offset', () => {
  it('is shared by the queries of one key set and has the predicted size at slots 0-3', async () => {
    const seal = await loadSeal()
    const ctx = createCkksContext(seal, parameters)
    const slots = [0, 1, 2, 3]
    const means: number[][] = slots.map(() => [])
    const spread: number[] = []
    try {
      for (let k = 0; k < KEY_SETS; k++) {
        const keys = createClientKeys(ctx, { galoisSteps: [16], relin: false })
        const evaluation = keys.evaluationKeysForLocalUse()
        try {
          const sums = slots.map(() => 0)
          const first: number[] = []
          for (let r = 0; r < 4; r++) {
            const zero = keys.encrypt(new Float64Array(N / 2))
            const rotated = new seal.Ciphertext()
            try {
              ctx.evaluator.rotateVector(zero, 16, evaluation.galoisKeys, rotated)
              const decrypted = keys.decrypt(rotated)
              slots.forEach((slot, i) => (sums[i] += (decrypted[slot] * ctx.scale) / 4))
              first.push(decrypted[0] * ctx.scale)
            } finally {
              zero.delete()
              rotated.delete()
            }
          }
          slots.forEach((_, i) => means[i].push(sums[i]))
          spread.push(Math.max(...first) - Math.min(...first))
        } finally {
          evaluation.delete()
          keys.delete()
        }
      }
      const { keySwitchOffset, keySwitchNoise } = ckksNoiseTerms(parameters, ctx.primes)
      const predicted = keySwitchOffset(ctx.topLevel)
      // Each slot's means in units of its predicted deviation, pooled: 128 samples, so the
      // measured deviation is within ~6% (one standard error) of the true one.
      let squares = 0
      slots.forEach((slot, i) => {
        for (const m of means[i]) squares += (m / predicted[slot]) ** 2
      })
      const ratio = Math.sqrt(squares / (slots.length * KEY_SETS))
      expect(ratio).toBeGreaterThan(0.6)
      expect(ratio).toBeLessThan(1.4)
      // Shared: the four queries of a key set differ by noise far below the offset at slot 0.
      const offset0 = predicted[0]
      expect(offset0).toBeGreaterThan(20 * keySwitchNoise(ctx.topLevel))
      for (const range of spread) expect(range).toBeLessThan(0.25 * offset0)
    } finally {
      ctx.delete()
    }
  })
})
