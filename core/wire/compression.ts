/**
 * Compression modes of SEAL serialization. node-seal 7 (SEAL 4.1) is built with both zlib and
 * Zstandard: every save takes the mode explicitly, there is no implicit default in core/.
 */
import type { ComprModeType, SealModule } from '../seal/load.ts'

export const COMPRESSION_MODES = ['none', 'zlib', 'zstd'] as const
export type CompressionMode = (typeof COMPRESSION_MODES)[number]

/**
 * The mode for everything a client uploads and the service returns: Zstandard compresses the
 * uniformly random 64-bit coefficients about as well as zlib (their unused high bits only) and
 * inflates faster. Measured sizes: core/wire/README.md.
 */
export const UPLOAD_COMPRESSION: CompressionMode = 'zstd'

/** The mode byte SEAL writes in its header (offset 5): none 0, zlib 1, zstd 2. */
export const COMPRESSION_MODE_BYTE: Readonly<Record<CompressionMode, number>> = Object.freeze({
  none: 0,
  zlib: 1,
  zstd: 2,
})

export function isCompressionMode(value: unknown): value is CompressionMode {
  return (COMPRESSION_MODES as readonly unknown[]).includes(value)
}

/** The node-seal enum value for a compression mode. */
export function sealComprMode(seal: SealModule, mode: CompressionMode): ComprModeType {
  return seal.ComprModeType[mode]
}
