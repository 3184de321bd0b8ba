/**
 * Typed errors with stable codes. The domain throws these; only service/http/problem.ts maps a code
 * to an HTTP status. Messages may carry sizes, levels and ids, never keys, ciphertexts or values.
 *
 * Add codes here (one list, so the API docs and the mapping cannot drift apart).
 */
export const ERROR_CODES = [
  // models and compilation
  'MODEL_NOT_FOUND',
  'UNSUPPORTED_MODEL',
  'INVALID_MODEL',
  'PLAN_INVALID',
  'PARAMETERS_INSECURE',
  'PARAMETERS_INVALID',
  'NO_PARAMETERS_FIT',
  // uploaded objects
  'CIPHERTEXT_MALFORMED',
  'CIPHERTEXT_WRONG_PARAMETERS',
  'CIPHERTEXT_WRONG_LEVEL',
  'CIPHERTEXT_WRONG_SCALE',
  'CIPHERTEXT_WRONG_SIZE',
  'CIPHERTEXT_TRANSPARENT',
  'KEYS_MALFORMED',
  'KEYS_WRONG_PARAMETERS',
  'KEYS_MISSING_STEPS',
  'KEYS_MODEL_MISMATCH',
  'KEY_NOT_FOUND',
  'KEY_EXPIRED',
  // requests
  'INPUT_INVALID',
  'BAD_REQUEST',
  'FIELD_MISSING',
  'MULTIPART_MALFORMED',
  'UNSUPPORTED_MEDIA_TYPE',
  'BODY_TOO_LARGE',
  'RATE_LIMITED',
  'UNAUTHORIZED',
  'NOT_FOUND',
  'PLAIN_DISABLED',
  'NOT_READY',
  'OVERLOADED',
  // data and training
  'DATASET_UNAVAILABLE',
  'ACCOUNTANT_INVALID',
  'INTERNAL',
  // service (appended)
  'CONFIG_INVALID',
  // shared key store and abuse resistance (appended)
  'KEY_STORE_UNAVAILABLE',
  'KEY_QUOTA_EXCEEDED',
  'KEY_STORAGE_FULL',
  // client and CLI (never answered by the service; listed for one table of codes)
  'SERVICE_UNREACHABLE',
  'URL_INVALID',
  'PORT_IN_USE',
  'OPTION_INVALID',
  'COMMAND_UNKNOWN',
  'MODEL_EXISTS',
  // compilation (appended)
  'PRECISION_NOT_MET',
  // batch queries (appended)
  'BATCH_LAYOUT_MISMATCH',
  'BATCH_TOO_LARGE',
] as const

export type ErrorCode = (typeof ERROR_CODES)[number]

export class PrivinferError extends Error {
  readonly code: ErrorCode
  readonly details: Readonly<Record<string, unknown>>
  constructor(
    code: ErrorCode,
    message: string,
    details: Readonly<Record<string, unknown>> = {},
    options?: ErrorOptions,
  ) {
    super(message, options)
    this.name = new.target.name
    this.code = code
    this.details = details
  }
}

export function isPrivinferError(value: unknown): value is PrivinferError {
  return value instanceof PrivinferError
}
