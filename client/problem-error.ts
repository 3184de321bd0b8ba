/**
 * Turns a problem+json answer of the service into a PrivinferError with the server's stable code,
 * so callers branch on `error.code` the same way on both sides.
 */
import { ERROR_CODES, type ErrorCode, PrivinferError } from '../core/errors.ts'

/** Reads a failed response (problem+json, or anything else) into a PrivinferError. */
export async function problemFromResponse(response: Response): Promise<PrivinferError> {
  let body: Record<string, unknown> = {}
  try {
    const parsed: unknown = await response.json()
    if (parsed !== null && typeof parsed === 'object') body = parsed as Record<string, unknown>
  } catch {
    // Not JSON (a proxy's HTML page, ...): fall back to the status.
  }
  const code = (ERROR_CODES as readonly string[]).includes(String(body.code))
    ? (body.code as ErrorCode)
    : fallbackCode(response.status)
  const detail =
    typeof body.detail === 'string' ? body.detail : `HTTP ${response.status} ${response.statusText}`
  const { type: _type, title: _title, detail: _detail, code: _code, ...details } = body
  return new PrivinferError(code, detail, { ...details, status: response.status })
}

function fallbackCode(status: number): ErrorCode {
  if (status === 401) return 'UNAUTHORIZED'
  if (status === 404) return 'NOT_FOUND'
  if (status === 413) return 'BODY_TOO_LARGE'
  if (status === 429) return 'RATE_LIMITED'
  if (status === 503) return 'NOT_READY'
  return status >= 500 ? 'INTERNAL' : 'BAD_REQUEST'
}
