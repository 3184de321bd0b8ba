/**
 * Exact sizes of SEAL 4.1 serializations (compression none), and upload bounds derived from them.
 * Pure arithmetic on the parameter set, no SEAL; checked byte for byte against SEAL by tests.
 *
 * Layout (SEAL 4.1, little-endian), for a ciphertext:
 *   16   serialization header (magic 0xA15E, header size, version 4.1, compression mode, total size)
 *   32   parms_id
 *    1   is_ntt_form
 *   40   size, poly_modulus_degree, coeff_modulus_size (uint64 each), scale (double), correction factor
 *   24   nested header + element count of the coefficient array
 *   size × coeff_modulus_size × N × 8   coefficients (64-bit words)
 * Evaluation keys (KSwitchKeys) are: header, parms_id, an outer count (uint64), and per entry an
 * inner count (uint64) followed by that many key-level ciphertexts (L data primes + the special one,
 * one per data prime: the decomposition). Galois keys have one entry per Galois element index
 * (up to N entries, empty ones cost their 8-byte count); relinearization keys have one entry.
 * Seed-compressed (Serializable) forms replace the second polynomial of each ciphertext by a 64-byte
 * seed, so they are about half these sizes; zstd then saves the unused high bits of each word.
 */
import { dataPrimeCount, topLevel as topLevelOf, type ParameterSet } from '../ckks/parameter-set.ts'

/** SEAL's serialization header (SEALHeader), in bytes. */
export const SEAL_HEADER_BYTES = 16
/** Ciphertext metadata after the header and before the coefficient array, in bytes. */
export const CIPHERTEXT_METADATA_BYTES = 32 + 1 + 5 * 8
/** The nested coefficient array's own header and element count, in bytes. */
const COEFFICIENT_ARRAY_OVERHEAD_BYTES = SEAL_HEADER_BYTES + 8
/** parms_id + outer count of a KSwitchKeys serialization, after its header. */
const KSWITCH_KEYS_METADATA_BYTES = 32 + 8

/** Polynomials in a ciphertext after a product without relinearization. */
export const UNRELINEARIZED_POLYNOMIALS = 3

/** Bytes of a ciphertext serialized with compression none (not seed-compressed). */
export function ciphertextBytes(params: ParameterSet, level: number, polynomials = 2): number {
  return serializedCiphertextBytes(params.polyModulusDegree, level + 1, polynomials)
}

function serializedCiphertextBytes(n: number, primeCount: number, polynomials: number): number {
  return (
    SEAL_HEADER_BYTES +
    CIPHERTEXT_METADATA_BYTES +
    COEFFICIENT_ARRAY_OVERHEAD_BYTES +
    polynomials * primeCount * n * 8
  )
}

/** Bytes of one key-switching key (L key-level ciphertexts), compression none, not seed-compressed. */
export function keySwitchKeyBytes(params: ParameterSet): number {
  const l = dataPrimeCount(params)
  return l * serializedCiphertextBytes(params.polyModulusDegree, l + 1, 2)
}

/**
 * Bytes of Galois keys for `stepCount` rotation steps, compression none, not seed-compressed,
 * counting the largest possible index table (N entries).
 */
export function galoisKeysBytes(params: ParameterSet, stepCount: number): number {
  return (
    SEAL_HEADER_BYTES +
    KSWITCH_KEYS_METADATA_BYTES +
    params.polyModulusDegree * 8 +
    stepCount * keySwitchKeyBytes(params)
  )
}

/** Bytes of relinearization keys, compression none, not seed-compressed. */
export function relinKeysBytes(params: ParameterSet): number {
  return SEAL_HEADER_BYTES + KSWITCH_KEYS_METADATA_BYTES + 8 + keySwitchKeyBytes(params)
}

/**
 * Bytes of a public key (a size-2 ciphertext at the key level: all data primes and the special one),
 * compression none, not seed-compressed.
 */
export function publicKeyBytes(params: ParameterSet): number {
  return serializedCiphertextBytes(params.polyModulusDegree, dataPrimeCount(params) + 1, 2)
}

/**
 * Largest size a compressor may turn `uncompressedBytes` into: zstd's ZSTD_compressBound adds
 * n/256 + a few bytes, zlib's deflateBound about n/4096 + 13; 1 KiB covers the constants.
 */
export function compressedBound(uncompressedBytes: number): number {
  return uncompressedBytes + Math.ceil(uncompressedBytes / 256) + 1024
}

/**
 * Upload limit, in bytes, for a size-2 ciphertext at `level`, in any compression mode
 * (the HTTP layer's multer fileSize for the input ciphertext).
 */
export function maxCiphertextBytes(params: ParameterSet, level: number): number {
  return compressedBound(ciphertextBytes(params, level, 2))
}

/** Upload limit, in bytes, for Galois keys with `stepCount` steps, in any compression mode. */
export function maxGaloisKeyBytes(params: ParameterSet, stepCount: number): number {
  return compressedBound(galoisKeysBytes(params, stepCount))
}

/** Upload limit, in bytes, for relinearization keys, in any compression mode. */
export function maxRelinKeyBytes(params: ParameterSet): number {
  return compressedBound(relinKeysBytes(params))
}

/** Upload limit, in bytes, for a public key, in any compression mode. */
export function maxPublicKeyBytes(params: ParameterSet): number {
  return compressedBound(publicKeyBytes(params))
}

/**
 * Memory bound used while loading an untrusted ciphertext, in uncompressed bytes: the largest
 * object that can be reported precisely (size 3, top level). Anything larger is malformed.
 */
export function ciphertextLoadBound(params: ParameterSet): number {
  return ciphertextBytes(params, topLevelOf(params), UNRELINEARIZED_POLYNOMIALS)
}
