/**
 * Typed rejections of uploaded (untrusted) SEAL objects. Messages carry sizes, levels and scales,
 * never key or ciphertext bytes.
 */
import { PrivinferError } from '../errors.ts'

/** What kind of SEAL object was being loaded (for messages and details). */
export type KeyKind = 'galoisKeys' | 'relinKeys' | 'publicKey'

/** Bytes that are not a SEAL ciphertext of an acceptable shape (CIPHERTEXT_MALFORMED). */
export class CiphertextMalformedError extends PrivinferError {
  constructor(reason: string, details: Record<string, unknown> = {}) {
    super('CIPHERTEXT_MALFORMED', `not a valid ciphertext: ${reason}`, { reason, ...details })
  }
}

/** A ciphertext made under other encryption parameters (CIPHERTEXT_WRONG_PARAMETERS). */
export class CiphertextWrongParametersError extends PrivinferError {
  constructor(reason = "its parms_id is not one of this model's encryption parameters") {
    super(
      'CIPHERTEXT_WRONG_PARAMETERS',
      `ciphertext was made under other encryption parameters: ${reason}`,
    )
  }
}

/** A ciphertext of the right parameters at another level (CIPHERTEXT_WRONG_LEVEL). */
export class CiphertextWrongLevelError extends PrivinferError {
  constructor(got: number, expected: number) {
    super('CIPHERTEXT_WRONG_LEVEL', `ciphertext is at level ${got}, expected ${expected}`, {
      got,
      expected,
    })
  }
}

/** A ciphertext whose scale is not the expected one (CIPHERTEXT_WRONG_SCALE); scales in bits. */
export class CiphertextWrongScaleError extends PrivinferError {
  constructor(gotScale: number, expectedScale: number) {
    const got = Math.log2(gotScale)
    const expected = Math.log2(expectedScale)
    super(
      'CIPHERTEXT_WRONG_SCALE',
      `ciphertext scale is 2^${got.toFixed(4)}, expected 2^${expected.toFixed(4)}`,
      { gotScaleBits: got, expectedScaleBits: expected },
    )
  }
}

/** A ciphertext with other than 2 polynomials, e.g. an unrelinearized product (CIPHERTEXT_WRONG_SIZE). */
export class CiphertextWrongSizeError extends PrivinferError {
  constructor(got: number, expected = 2) {
    super('CIPHERTEXT_WRONG_SIZE', `ciphertext has ${got} polynomials, expected ${expected}`, {
      got,
      expected,
    })
  }
}

/**
 * A transparent ciphertext (CIPHERTEXT_TRANSPARENT): its mask polynomials are zero, so it encrypts
 * nothing and anyone can read it.
 */
export class CiphertextTransparentError extends PrivinferError {
  constructor() {
    super('CIPHERTEXT_TRANSPARENT', 'ciphertext is transparent (not encrypted)')
  }
}

/** Bytes that are not SEAL evaluation keys of an acceptable shape (KEYS_MALFORMED). */
export class KeysMalformedError extends PrivinferError {
  constructor(kind: KeyKind, reason: string, details: Record<string, unknown> = {}) {
    super('KEYS_MALFORMED', `${kind} are not valid: ${reason}`, { kind, reason, ...details })
  }
}

/** Keys made under other encryption parameters (KEYS_WRONG_PARAMETERS). */
export class KeysWrongParametersError extends PrivinferError {
  constructor(kind: KeyKind) {
    super('KEYS_WRONG_PARAMETERS', `${kind} were made under other encryption parameters`, { kind })
  }
}

/** Galois keys lacking rotation steps the model needs (KEYS_MISSING_STEPS). */
export class KeysMissingStepsError extends PrivinferError {
  constructor(missingSteps: readonly number[]) {
    super(
      'KEYS_MISSING_STEPS',
      `Galois keys lack the rotation step(s) ${missingSteps.join(', ')}`,
      { missingSteps: [...missingSteps] },
    )
  }
}
