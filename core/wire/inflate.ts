/**
 * Bounded decompression of untrusted SEAL payloads, outside the WebAssembly heap.
 *
 * Why: SEAL inflates a compressed object completely before parsing it, into WebAssembly memory that
 * never shrinks. An 8 KB zstd payload of zeros declared as a ciphertext made node-seal's heap grow
 * by about 1.3 GB and took 5 s (measured here, N=8192); a larger one aborts the module. So loaders
 * inflate in JavaScript with an output bound derived from the parameters, then hand SEAL the
 * uncompressed form.
 *
 * The inflater is node:zlib (zlib and zstd, Node >= 22.15), taken through process.getBuiltinModule
 * so that browser bundles do not pull in node:zlib. In a browser, {@link inflateBounded} returns
 * undefined and the caller lets SEAL inflate (there the bytes come from the service the user chose,
 * and only that page's memory is at stake).
 */
import type * as NodeZlib from 'node:zlib'

type ZlibModule = typeof NodeZlib

const zlib: ZlibModule | undefined = (() => {
  const processObject = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } })
    .process
  const zlibModule = processObject?.getBuiltinModule?.('node:zlib') as ZlibModule | undefined
  return zlibModule
})()

/** Thrown when a payload does not inflate, or inflates beyond the bound. */
export class InflateError extends Error {}

/** True when compressed payloads can be inflated with a bound on this platform. */
export function canInflateBounded(mode: 'zlib' | 'zstd'): boolean {
  if (zlib === undefined) return false
  return mode === 'zlib' || typeof zlib.zstdDecompressSync === 'function'
}

/**
 * Inflates a SEAL zlib (RFC 1950) or Zstandard body, refusing to produce more than `maxBytes`.
 * Returns undefined when the platform has no bounded inflater for the mode.
 * @throws InflateError when the body is corrupt or inflates to more than `maxBytes`.
 */
export function inflateBounded(
  mode: 'zlib' | 'zstd',
  body: Uint8Array,
  maxBytes: number,
): Uint8Array | undefined {
  if (zlib === undefined || !canInflateBounded(mode)) return undefined
  const options = { maxOutputLength: Math.max(1, maxBytes) }
  try {
    const inflated =
      mode === 'zlib' ? zlib.inflateSync(body, options) : zlib.zstdDecompressSync(body, options)
    return new Uint8Array(inflated.buffer, inflated.byteOffset, inflated.byteLength)
  } catch (error) {
    const code = (error as { code?: string }).code
    throw new InflateError(
      code === 'ERR_BUFFER_TOO_LARGE'
        ? `inflates to more than ${maxBytes} bytes`
        : `does not inflate (${mode}${code ? `: ${code}` : ''})`,
    )
  }
}

/**
 * The first bytes of a zlib or Zstandard body, decoded from at most `compressedBytes` of its start
 * (a flushed partial decode), or undefined when the platform cannot or the start does not decode.
 * Used to read an object's parms_id when the whole body is refused (too large for these parameters),
 * so that keys of other parameters are reported as such rather than as malformed.
 */
export function inflatePrefix(
  mode: 'zlib' | 'zstd',
  body: Uint8Array,
  prefixBytes: number,
  // A Zstandard block decodes only whole, and holds up to 128 KiB: take two blocks' worth.
  compressedBytes = 256 * 1024,
): Uint8Array | undefined {
  if (zlib === undefined || !canInflateBounded(mode)) return undefined
  const start = body.subarray(0, compressedBytes)
  try {
    const options = {
      // Legitimate key material compresses by less than 2x; a bomb hits this bound and is refused.
      maxOutputLength: Math.max(prefixBytes, 4 * compressedBytes),
      finishFlush: mode === 'zlib' ? zlib.constants.Z_SYNC_FLUSH : zlib.constants.ZSTD_e_flush,
    }
    const inflated =
      mode === 'zlib' ? zlib.inflateSync(start, options) : zlib.zstdDecompressSync(start, options)
    return inflated.byteLength >= prefixBytes
      ? new Uint8Array(inflated.buffer, inflated.byteOffset, prefixBytes)
      : undefined
  } catch {
    return undefined
  }
}
