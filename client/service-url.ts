/**
 * The service's base URL and the network failures of reaching it, as typed errors (URL_INVALID,
 * SERVICE_UNREACHABLE) instead of fetch's bare `TypeError: fetch failed` / `Failed to parse URL`.
 * Pure functions: no I/O.
 */
import { PrivinferError } from '../core/errors.ts'

/**
 * Checks and normalizes the URL a client is given: http(s), no trailing slash, and no trailing /v1
 * (the client adds /v1 to every path; `http://host:8080/v1` would call /v1/v1/models).
 * A relative URL (e.g. '/' for the page's own origin) is resolved against `base` (the page's address in
 * a browser); without a base it is invalid.
 * @example serviceBaseUrl('http://localhost:8080/') === 'http://localhost:8080'
 * @throws PrivinferError URL_INVALID naming what is wrong and a corrected URL when there is one.
 */
export function serviceBaseUrl(raw: string, base?: string): string {
  const text = raw.trim()
  let url: URL
  try {
    url = new URL(text, base)
  } catch {
    throw new PrivinferError(
      'URL_INVALID',
      `'${text.slice(0, 200)}' is not a URL; give the service's address, e.g. http://localhost:8080`,
      { url: text.slice(0, 200) },
    )
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    // "localhost:8080" parses as scheme "localhost:"; suggest the URL that was meant.
    const suggestion = /^[a-z0-9.-]+:\d+/i.test(text) ? ` (did you mean http://${text}?)` : ''
    throw new PrivinferError(
      'URL_INVALID',
      `'${text.slice(0, 200)}' is not an http(s) URL${suggestion}`,
      { url: text.slice(0, 200) },
    )
  }
  if (url.search !== '' || url.hash !== '') {
    throw new PrivinferError(
      'URL_INVALID',
      `'${text.slice(0, 200)}': the service URL takes no query or fragment`,
      { url: text.slice(0, 200) },
    )
  }
  const path = url.pathname.replace(/\/+$/, '')
  if (/\/v1$/i.test(path)) {
    const corrected = `${url.origin}${path.replace(/\/v1$/i, '')}`
    throw new PrivinferError(
      'URL_INVALID',
      `'${text.slice(0, 200)}' ends in /v1, which the client adds itself: use ${corrected}`,
      { url: text.slice(0, 200), corrected },
    )
  }
  return `${url.origin}${path}`
}

/** Node's error codes behind fetch's "fetch failed", in words. */
const NETWORK_CAUSES: Record<string, string> = {
  ECONNREFUSED: 'connection refused: is the service running on that port?',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'connection timed out',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EPIPE: 'connection closed while sending',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed by the other side',
  UND_ERR_HEADERS_TIMEOUT: 'no answer in time',
  CERT_HAS_EXPIRED: 'its TLS certificate has expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'its TLS certificate is self-signed',
  ERR_TLS_CERT_ALTNAME_INVALID: 'its TLS certificate is for another host',
}

/** The innermost `code` and message of an error's cause chain (undici wraps the socket error). */
function innermostCause(error: unknown): { code?: string; message?: string } {
  let current: unknown = error
  let code: string | undefined
  let message: string | undefined
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth++) {
    const { code: candidate, message: text } = current as { code?: unknown; message?: unknown }
    if (typeof candidate === 'string') code = candidate
    if (typeof text === 'string' && text !== '') message = text
    current = (current as { cause?: unknown }).cause
  }
  return { code, message }
}

/**
 * Maps what `fetch` threw to SERVICE_UNREACHABLE (with the cause in words and `cause` as its code),
 * or returns the error unchanged when it is not a network failure (an abort, a PrivinferError).
 */
export function networkError(error: unknown, baseUrl: string): unknown {
  if (!(error instanceof TypeError)) return error
  const { code, message } = innermostCause(error)
  const inBrowser = typeof window !== 'undefined'
  const reason =
    code !== undefined
      ? (NETWORK_CAUSES[code] ?? `${code}: ${message}`)
      : inBrowser
        ? 'network error; from another origin the service must list this page in CORS_ORIGINS'
        : (message ?? error.message)
  return new PrivinferError(
    'SERVICE_UNREACHABLE',
    `cannot reach the service at ${baseUrl} (${reason})`,
    { url: baseUrl, ...(code !== undefined ? { cause: code } : {}) },
    { cause: error },
  )
}
