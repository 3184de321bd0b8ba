/**
 * Upload and download sizes of a model, estimated from its card before any key exists (the page shows
 * them on every model; after Connect and Predict it shows the measured ones). Seed-compressed SEAL
 * objects hold about one polynomial per key component, each coefficient about its prime's bits, plus
 * what zstd leaves of the unused high bits of its 64-bit word (about a fifth):
 * - Galois keys: steps x (K - 1) x N x (bits of all K primes) / 8, K primes including the special one;
 * - relinearization keys: one such key;
 * - the query (symmetric encryption, seed-compressed): N x (bits of the input level's primes) / 8;
 * - the result (two polynomials): 2 x N x (bits of the output level's primes) / 8.
 * Within 12% of the sizes core/he and the service make (test/web/sizes.test.ts).
 */
export interface SizeEstimate {
  keysBytes: number
  queryBytes: number
  resultBytes: number
}

export interface SizedParameters {
  polyModulusDegree: number
  coeffModulusBits: number[]
  galoisSteps: readonly number[]
  needsRelinKeys: boolean
  inputLevel: number
  outputLevel?: number
}

export function estimateSizes(he: SizedParameters): SizeEstimate {
  const n = he.polyModulusDegree
  const primes = he.coeffModulusBits.length
  const stored = (bits: number) => bits + 0.2 * (64 - bits)
  const allBits = he.coeffModulusBits.reduce((sum, bits) => sum + stored(bits), 0)
  const levelBits = (level: number) =>
    he.coeffModulusBits.slice(0, level + 1).reduce((sum, bits) => sum + stored(bits), 0)
  const keySwitchingKey = ((primes - 1) * n * allBits) / 8
  return {
    keysBytes: (he.galoisSteps.length + (he.needsRelinKeys ? 1 : 0)) * keySwitchingKey,
    queryBytes: (n * levelBits(he.inputLevel)) / 8,
    resultBytes: (2 * n * levelBits(he.outputLevel ?? 0)) / 8,
  }
}

/** 4.3 MB, 126 KB, 512 B. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`
  if (bytes >= 1e3) return `${Math.round(bytes / 1e3)} KB`
  return `${Math.round(bytes)} B`
}
