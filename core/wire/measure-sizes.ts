/**
 * Measures the bytes a client sends and receives for a parameter set: Galois key per step,
 * relinearization keys, a fresh input ciphertext (top level) and a level-0 ciphertext, in every
 * compression mode, seed-compressed where SEAL allows it (keys, fresh symmetric ciphertexts).
 *
 * Run: ./node_modules/.bin/node core/wire/measure-sizes.ts [N] [bits,bits,...] [scaleBits]
 * (default N=8192 50,36,36,36,50 36). Prints one JSON object.
 */
import { createCkksContext } from '../ckks/context.ts'
import type { ParameterSet } from '../ckks/parameter-set.ts'
import { createClientKeys } from '../he/client-keys.ts'
import { loadSeal, type SealModule } from '../seal/load.ts'
import { loadCiphertext, saveCiphertext } from './ciphertext.ts'
import { COMPRESSION_MODES, type CompressionMode } from './compression.ts'

export interface WireSizes {
  params: ParameterSet
  /** Bytes by compression mode. */
  galoisKeyPerStep: Record<CompressionMode, number>
  relinKeys: Record<CompressionMode, number>
  /** Fresh symmetric ciphertext at the top level, seed-compressed. */
  freshCiphertextTopLevel: Record<CompressionMode, number>
  /** Ciphertext at level 0 as a service returns it (not seed-compressed: it was computed). */
  ciphertextLevel0: Record<CompressionMode, number>
}

/** Measures the sizes (slow: generates keys for 1 and 3 steps). */
export function measureWireSizes(seal: SealModule, params: ParameterSet): WireSizes {
  const ctx = createCkksContext(seal, params)
  const oneStep = createClientKeys(ctx, { galoisSteps: [1], relin: true })
  const threeSteps = createClientKeys(ctx, { galoisSteps: [1, 2, 3], relin: false })
  const byMode = (measure: (mode: CompressionMode) => number) =>
    Object.fromEntries(COMPRESSION_MODES.map((mode) => [mode, measure(mode)])) as Record<
      CompressionMode,
      number
    >
  try {
    const values = Float64Array.from({ length: ctx.slotCount }, (_, i) => Math.sin(i))
    return {
      params,
      // Per step: the difference between 3 steps and 1 step, halved (the index table is shared).
      galoisKeyPerStep: byMode((mode) =>
        Math.round(
          (threeSteps.evaluationKeyBundle(mode).galoisKeys.length -
            oneStep.evaluationKeyBundle(mode).galoisKeys.length) /
            2,
        ),
      ),
      relinKeys: byMode((mode) => oneStep.evaluationKeyBundle(mode).relinKeys!.length),
      freshCiphertextTopLevel: byMode(
        (mode) => oneStep.encryptSerialized(values, { compression: mode }).length,
      ),
      ciphertextLevel0: byMode((mode) => {
        const fresh = oneStep.encryptSerialized(values, { level: 0, compression: 'none' })
        const level0 = loadCiphertext(ctx, fresh, { level: 0 })
        try {
          return saveCiphertext(ctx, level0, mode).length
        } finally {
          level0.delete()
        }
      }),
    }
  } finally {
    oneStep.delete()
    threeSteps.delete()
    ctx.delete()
  }
}

if (import.meta.main) {
  const [n, bits, scaleBits] = process.argv.slice(2)
  const params: ParameterSet = {
    polyModulusDegree: Number(n ?? 8192),
    coeffModulusBits: (bits ?? '50,36,36,36,50').split(',').map(Number),
    scaleBits: Number(scaleBits ?? 36),
  }
  const sizes = measureWireSizes(await loadSeal(), params)
  process.stdout.write(`${JSON.stringify(sizes, null, 2)}\n`)
}
