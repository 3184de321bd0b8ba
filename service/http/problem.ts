/**
 * problem+json errors (RFC 9457). The only file that knows HTTP status codes: every other module throws
 * `PrivinferError`s with a stable `code`, and `createProblemHandler` turns them (and the errors of
 * multer, body-parser and Express itself) into
 *
 *   { type: "/v1/problems/<CODE>", title, status, detail, code, ...details }
 *
 * Unknown errors become 500 INTERNAL without any detail, and are logged with their stack.
 */
import type { ErrorRequestHandler, Response } from 'express'
import multer from 'multer'
import type { Logger } from 'pino'
import { type ErrorCode, PrivinferError, isPrivinferError } from '../../core/errors.ts'

interface ProblemKind {
  status: number
  title: string
}

/** Status and title of every error code (docs/api.md lists the same table). */
export const PROBLEMS: Readonly<Record<ErrorCode, ProblemKind>> = {
  MODEL_NOT_FOUND: { status: 404, title: 'Unknown model' },
  UNSUPPORTED_MODEL: { status: 422, title: 'Model uses unsupported operations' },
  INVALID_MODEL: { status: 422, title: 'Invalid model' },
  PLAN_INVALID: { status: 500, title: 'Invalid HE plan' },
  PARAMETERS_INSECURE: { status: 422, title: 'Insecure encryption parameters' },
  PARAMETERS_INVALID: { status: 422, title: 'Invalid encryption parameters' },
  NO_PARAMETERS_FIT: { status: 422, title: 'No secure parameters fit the model' },
  CIPHERTEXT_MALFORMED: { status: 400, title: 'Not a SEAL ciphertext' },
  CIPHERTEXT_WRONG_PARAMETERS: { status: 422, title: 'Ciphertext made under other parameters' },
  CIPHERTEXT_WRONG_LEVEL: { status: 422, title: 'Ciphertext at the wrong level' },
  CIPHERTEXT_WRONG_SCALE: { status: 422, title: 'Ciphertext at the wrong scale' },
  CIPHERTEXT_WRONG_SIZE: { status: 422, title: 'Ciphertext of the wrong size' },
  CIPHERTEXT_TRANSPARENT: { status: 422, title: 'Transparent ciphertext' },
  KEYS_MALFORMED: { status: 400, title: 'Not SEAL evaluation keys' },
  KEYS_WRONG_PARAMETERS: { status: 422, title: 'Keys made under other parameters' },
  KEYS_MISSING_STEPS: { status: 422, title: 'Galois keys lack required steps' },
  KEYS_MODEL_MISMATCH: { status: 422, title: 'Keys were uploaded for another model' },
  KEY_NOT_FOUND: { status: 404, title: 'Unknown key id' },
  KEY_EXPIRED: { status: 410, title: 'Keys expired' },
  INPUT_INVALID: { status: 422, title: 'Invalid input' },
  BAD_REQUEST: { status: 400, title: 'Bad request' },
  FIELD_MISSING: { status: 400, title: 'Missing field' },
  MULTIPART_MALFORMED: { status: 400, title: 'Malformed multipart body' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported content type' },
  BODY_TOO_LARGE: { status: 413, title: 'Upload too large' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  UNAUTHORIZED: { status: 401, title: 'Missing or wrong bearer token' },
  NOT_FOUND: { status: 404, title: 'No such route' },
  PLAIN_DISABLED: { status: 403, title: 'Plaintext inference is disabled' },
  NOT_READY: { status: 503, title: 'Service starting' },
  OVERLOADED: { status: 503, title: 'Service overloaded' },
  DATASET_UNAVAILABLE: { status: 503, title: 'Dataset unavailable' },
  ACCOUNTANT_INVALID: { status: 422, title: 'Invalid accountant input' },
  INTERNAL: { status: 500, title: 'Internal error' },
  CONFIG_INVALID: { status: 500, title: 'Invalid configuration' },
  KEY_STORE_UNAVAILABLE: { status: 503, title: 'Key store unavailable' },
  KEY_QUOTA_EXCEEDED: { status: 429, title: 'Key quota of this client exceeded' },
  KEY_STORAGE_FULL: { status: 507, title: 'Key storage full' },
  SERVICE_UNREACHABLE: { status: 502, title: 'Service unreachable' },
  URL_INVALID: { status: 400, title: 'Invalid service URL' },
  PORT_IN_USE: { status: 500, title: 'Port in use' },
  OPTION_INVALID: { status: 400, title: 'Invalid command-line option' },
  COMMAND_UNKNOWN: { status: 400, title: 'Unknown command' },
  MODEL_EXISTS: { status: 409, title: 'Model already exists' },
  PRECISION_NOT_MET: { status: 422, title: 'The plan cannot meet the required output precision' },
  BATCH_LAYOUT_MISMATCH: { status: 422, title: 'Batch query packed for another layout' },
  BATCH_TOO_LARGE: { status: 422, title: 'More inputs than the batch plan holds' },
}

/** Seconds a client should wait before retrying OVERLOADED / NOT_READY / RATE_LIMITED. */
const RETRY_AFTER_SECONDS: Partial<Record<ErrorCode, number>> = {
  OVERLOADED: 2,
  NOT_READY: 5,
  KEY_STORE_UNAVAILABLE: 2,
  KEY_STORAGE_FULL: 60,
}

const MULTER_CODES: Record<string, ErrorCode> = {
  LIMIT_FILE_SIZE: 'BODY_TOO_LARGE',
  LIMIT_FIELD_VALUE: 'BODY_TOO_LARGE',
  LIMIT_FIELD_KEY: 'BODY_TOO_LARGE',
  LIMIT_PART_COUNT: 'BODY_TOO_LARGE',
  LIMIT_FILE_COUNT: 'MULTIPART_MALFORMED',
  LIMIT_FIELD_COUNT: 'MULTIPART_MALFORMED',
  LIMIT_UNEXPECTED_FILE: 'MULTIPART_MALFORMED',
  MISSING_FIELD_NAME: 'MULTIPART_MALFORMED',
}

/** body-parser error `type`s (express.json) and their codes. */
const BODY_PARSER_CODES: Record<string, ErrorCode> = {
  'entity.too.large': 'BODY_TOO_LARGE',
  'entity.parse.failed': 'BAD_REQUEST',
  'encoding.unsupported': 'UNSUPPORTED_MEDIA_TYPE',
  'charset.unsupported': 'UNSUPPORTED_MEDIA_TYPE',
  'request.aborted': 'BAD_REQUEST',
  'request.size.invalid': 'BAD_REQUEST',
}

/** The HTTP status a code is answered with. */
export function statusOf(code: ErrorCode): number {
  return PROBLEMS[code].status
}

/**
 * Normalizes anything thrown into a PrivinferError. Returns undefined for errors it does not know
 * (the caller logs them and answers INTERNAL).
 */
export function toPrivinferError(error: unknown): PrivinferError | undefined {
  if (isPrivinferError(error)) return error
  if (error instanceof multer.MulterError) {
    const code = MULTER_CODES[error.code] ?? 'MULTIPART_MALFORMED'
    return new PrivinferError(
      code,
      `${error.message}${error.field ? ` (field '${error.field}')` : ''}`,
      {
        ...(error.field ? { field: error.field } : {}),
      },
    )
  }
  // The router decodes path parameters: a malformed percent-encoding (`/v1/models/%ff`) is the client's.
  if (error instanceof URIError)
    return new PrivinferError('BAD_REQUEST', 'the path has a malformed percent-encoding')
  const bodyParserType = (error as { type?: unknown } | null)?.type
  if (typeof bodyParserType === 'string' && bodyParserType in BODY_PARSER_CODES) {
    return new PrivinferError(BODY_PARSER_CODES[bodyParserType], (error as Error).message)
  }
  return undefined
}

/** Writes one problem+json response. */
export function sendProblem(res: Response, error: PrivinferError): void {
  const { status, title } = PROBLEMS[error.code]
  // A limit that knows when its window resets says so (RATE_LIMITED); otherwise a fixed hint.
  const ownRetryAfter = error.details.retryAfterSeconds
  const retryAfter =
    typeof ownRetryAfter === 'number' ? ownRetryAfter : RETRY_AFTER_SECONDS[error.code]
  if (retryAfter !== undefined) res.setHeader('Retry-After', String(retryAfter))
  if (error.code === 'UNAUTHORIZED') res.setHeader('WWW-Authenticate', 'Bearer')
  // A rejected upload may still be arriving (e.g. 413 after the limit): close the connection after
  // answering instead of reading and discarding the rest of the body.
  if (!res.req.complete) res.setHeader('Connection', 'close')
  res.locals.problemCode = error.code
  const details = status >= 500 ? {} : error.details
  res
    .status(status)
    .type('application/problem+json')
    .json({
      ...details,
      type: `/v1/problems/${error.code}`,
      title,
      status,
      detail: status >= 500 && error.code === 'INTERNAL' ? 'internal error' : error.message,
      code: error.code,
    })
}

/** The Express error handler (keep 4 parameters: Express recognizes error handlers by arity). */
export function createProblemHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    let problem = toPrivinferError(err)
    if (problem === undefined) {
      logger.error({ err, requestId: res.locals.requestId, path: req.path }, 'unhandled error')
      problem = new PrivinferError('INTERNAL', 'internal error')
    } else if (
      statusOf(problem.code) >= 500 &&
      problem.code !== 'NOT_READY' &&
      problem.code !== 'OVERLOADED'
    ) {
      logger.error(
        { code: problem.code, requestId: res.locals.requestId, err: problem.cause ?? problem },
        problem.message,
      )
    }
    if (res.headersSent) {
      res.destroy()
      return
    }
    sendProblem(res, problem)
  }
}
