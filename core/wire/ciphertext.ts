/**
 * Ciphertexts on the wire: saving with an explicit compression mode, and loading untrusted bytes
 * with validation against the model's context. A loaded ciphertext is guaranteed to be of this
 * context's parameters, at the expected level, with 2 polynomials, in NTT form, at the expected
 * scale, and not transparent. Its coefficients are only checked to lie below their moduli: a
 * ciphertext is not authenticated, so altered coefficients decrypt to garbage (threat model).
 */
import type { CkksContext } from '../ckks/context.ts'
import type { Ciphertext } from '../seal/load.ts'
import { sealComprMode, type CompressionMode } from './compression.ts'
import {
  CiphertextMalformedError,
  CiphertextTransparentError,
  CiphertextWrongLevelError,
  CiphertextWrongParametersError,
  CiphertextWrongScaleError,
  CiphertextWrongSizeError,
} from './errors.ts'
import { loadUntrusted } from './load-untrusted.ts'
import { readCiphertextPrelude, type CiphertextPrelude } from './seal-header.ts'
import { ciphertextLoadBound } from './sizes.ts'

/**
 * Relative scale tolerance |scale / expected - 1| by default: a fresh encoding carries exactly
 * 2^scaleBits, and a plan's exact-scale bookkeeping reproduces SEAL's doubles, so only rounding
 * of the last bits is allowed.
 */
export const DEFAULT_SCALE_TOLERANCE = 1e-9

/** What an uploaded or returned ciphertext must look like. */
export interface CiphertextExpectation {
  /** Data level (number of data primes left minus one; see core/ckks/context.ts). */
  level: number
  /**
   * Expected scale (not bits); defaults to the context's 2^scaleBits. null accepts any scale SEAL
   * accepts (SEAL checks 1 <= scale < the level's modulus on load), for results whose scale the
   * caller does not know.
   */
  scale?: number | null
  /** Relative tolerance on the scale; defaults to {@link DEFAULT_SCALE_TOLERANCE}. */
  scaleTolerance?: number
}

/** Polynomials of a valid fresh or relinearized ciphertext. */
const EXPECTED_SIZE = 2

/**
 * Serializes a ciphertext with an explicit compression mode.
 * @returns the SEAL serialization (a fresh copy, independent of the WebAssembly heap).
 */
export function saveCiphertext(
  ctx: CkksContext,
  ciphertext: Ciphertext,
  mode: CompressionMode,
): Uint8Array {
  return copyBytes(ciphertext.saveToArray(sealComprMode(ctx.seal, mode)))
}

/** Copies bytes returned by node-seal into a fresh Uint8Array. */
export function copyBytes(bytes: ArrayLike<number>): Uint8Array {
  return Uint8Array.from(bytes)
}

/**
 * Loads an untrusted ciphertext under the model's context and validates it.
 * Header, size bound and metadata are checked before SEAL parses the bytes; compressed bytes are
 * inflated with a bound first (core/wire/inflate.ts). The caller owns (and must delete) the result.
 *
 * @param bytes SEAL-serialized ciphertext in any compression mode, seed-compressed or not.
 * @throws CiphertextMalformedError (CIPHERTEXT_MALFORMED) for bytes that are not a SEAL ciphertext,
 *   are truncated, too large (over the size of an unrelinearized top-level ciphertext), or hold
 *   coefficients out of range.
 * @throws CiphertextWrongParametersError (CIPHERTEXT_WRONG_PARAMETERS) for other parameters.
 * @throws CiphertextWrongLevelError (CIPHERTEXT_WRONG_LEVEL) with got/expected levels.
 * @throws CiphertextWrongSizeError (CIPHERTEXT_WRONG_SIZE) unless it has 2 polynomials.
 * @throws CiphertextWrongScaleError (CIPHERTEXT_WRONG_SCALE) outside the relative tolerance.
 * @throws CiphertextTransparentError (CIPHERTEXT_TRANSPARENT) for a transparent ciphertext.
 * @throws RangeError when `expected.level` is not a level of the context (a caller bug).
 */
export function loadCiphertext(
  ctx: CkksContext,
  bytes: Uint8Array,
  expected: CiphertextExpectation,
): Ciphertext {
  checkExpectedLevel(ctx, expected.level)
  return loadUntrusted(ctx, bytes, {
    maxUncompressedBytes: ciphertextLoadBound(ctx.params),
    checkMetadata: (uncompressed) =>
      checkCiphertextFacts(ctx, preludeFacts(ctx, readCiphertextPrelude(uncompressed)), expected),
    refusedBeforeSeal: (problem) => new CiphertextMalformedError(problem.message),
    create: () => new ctx.seal.Ciphertext(),
    refusedBySeal: (info) => new CiphertextMalformedError(`SEAL refused it (${info.message})`),
    checkLoaded: (ciphertext) => validateCiphertext(ctx, ciphertext, expected),
  })
}

/**
 * Validates an in-memory ciphertext against the expectation (the checks of {@link loadCiphertext}
 * that SEAL objects allow): parameters and level, size, NTT form, scale, not transparent.
 * @throws the typed errors listed on {@link loadCiphertext}.
 */
export function validateCiphertext(
  ctx: CkksContext,
  ciphertext: Ciphertext,
  expected: CiphertextExpectation,
): void {
  checkExpectedLevel(ctx, expected.level)
  const level = ctx.findLevel(ciphertext)
  checkCiphertextFacts(
    ctx,
    {
      polyModulusDegree: ciphertext.polyModulusDegree(),
      level: level ?? (ctx.isKeyLevel(ciphertext) ? 'key' : undefined),
      coeffModulusSize: ciphertext.coeffModulusSize(),
      size: ciphertext.size(),
      isNttForm: ciphertext.isNttForm(),
      scale: ciphertext.scale(),
    },
    expected,
  )
  if (ciphertext.isTransparent()) throw new CiphertextTransparentError()
}

/** What both a serialized header (before SEAL parses it) and a loaded SEAL object tell. */
interface CiphertextFacts {
  polyModulusDegree: number
  /** Its data level; 'key' at the key level above the data levels; undefined for other parameters. */
  level: number | 'key' | undefined
  coeffModulusSize: number
  size: number
  isNttForm: boolean
  scale: number
}

function preludeFacts(ctx: CkksContext, prelude: CiphertextPrelude): CiphertextFacts {
  const level = ctx.levelOfParmsIdKey(prelude.parmsIdKey)
  return {
    ...prelude,
    level: level ?? (prelude.parmsIdKey === ctx.keyParmsIdKey ? 'key' : undefined),
  }
}

/** The checks in a fixed order, the first failure thrown with got/expected. */
function checkCiphertextFacts(
  ctx: CkksContext,
  facts: CiphertextFacts,
  expected: CiphertextExpectation,
): void {
  if (facts.polyModulusDegree !== ctx.params.polyModulusDegree) {
    throw new CiphertextWrongParametersError('its ring dimension differs')
  }
  if (facts.level === undefined) throw new CiphertextWrongParametersError()
  if (facts.level === 'key') throw new CiphertextWrongLevelError(ctx.topLevel + 1, expected.level)
  if (facts.level !== expected.level)
    throw new CiphertextWrongLevelError(facts.level, expected.level)
  if (facts.coeffModulusSize !== facts.level + 1) {
    throw new CiphertextMalformedError('coefficient modulus size does not match its level')
  }
  if (facts.size !== EXPECTED_SIZE) throw new CiphertextWrongSizeError(facts.size)
  if (!facts.isNttForm) throw new CiphertextMalformedError('not in NTT form')
  checkScale(ctx, facts.scale, expected)
}

function checkScale(ctx: CkksContext, scale: number, expected: CiphertextExpectation) {
  if (expected.scale === null) return
  const expectedScale = expected.scale ?? ctx.scale
  const tolerance = expected.scaleTolerance ?? DEFAULT_SCALE_TOLERANCE
  // Written so that NaN fails the check.
  if (!(Math.abs(scale / expectedScale - 1) <= tolerance)) {
    throw new CiphertextWrongScaleError(scale, expectedScale)
  }
}

function checkExpectedLevel(ctx: CkksContext, level: number) {
  if (!Number.isInteger(level) || level < 0 || level > ctx.topLevel) {
    throw new RangeError(`expected level ${level} is not in 0..${ctx.topLevel}`)
  }
}
