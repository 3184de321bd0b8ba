/**
 * Fixed-window rate limits: per client on every /v1 route (RATE_LIMIT_MAX per RATE_LIMIT_WINDOW_MS)
 * and per key id on queries (KEY_RATE_LIMIT_MAX per window). The counters are a `WindowCounter`:
 * in this process by default, in Redis when the key store is Redis, so that N replicas enforce one
 * limit instead of N. Past a limit: 429 RATE_LIMITED with Retry-After = the seconds until the
 * client's window resets (not a fixed guess), and RateLimit headers (IETF draft-ietf-httpapi-ratelimit-headers).
 */
import type { RequestHandler } from 'express'
import { PrivinferError } from '../../core/errors.ts'

/** One count in one window. */
export interface WindowHit {
  /** Hits in the current window, this one included. */
  count: number
  /** Milliseconds until the window resets. */
  resetMs: number
}

export interface WindowCounter {
  /** Counts a hit for `key` in its current window of `windowMs` (the first hit opens the window). */
  hit(key: string, windowMs: number): Promise<WindowHit>
}

/** Counters in this process's memory; windows that ended are dropped as they are met. */
export class MemoryWindowCounter implements WindowCounter {
  readonly #windows = new Map<string, { count: number; endsAtMs: number }>()
  readonly #now: () => number
  #lastSweepMs = 0

  constructor(now: () => number = Date.now) {
    this.#now = now
  }

  async hit(key: string, windowMs: number): Promise<WindowHit> {
    const nowMs = this.#now()
    if (nowMs - this.#lastSweepMs > windowMs) {
      for (const [name, window] of this.#windows)
        if (window.endsAtMs <= nowMs) this.#windows.delete(name)
      this.#lastSweepMs = nowMs
    }
    let window = this.#windows.get(key)
    if (!window || window.endsAtMs <= nowMs) {
      window = { count: 0, endsAtMs: nowMs + windowMs }
      this.#windows.set(key, window)
    }
    window.count++
    return { count: window.count, resetMs: window.endsAtMs - nowMs }
  }
}

export interface RateLimitRule {
  counter: WindowCounter
  windowMs: number
  /** Hits allowed per window (> 0). */
  max: number
  /** What is being limited, for the message ("this client", "this key id"). */
  subject: string
}

/**
 * Counts one hit for `key`; throws RATE_LIMITED (details.retryAfterSeconds) past the limit.
 * Returns the headers to send either way.
 */
export async function checkRate(
  rule: RateLimitRule,
  key: string,
): Promise<{ limit: string; policy: string }> {
  let hit: WindowHit
  try {
    hit = await rule.counter.hit(key, rule.windowMs)
  } catch {
    // A limiter whose store is down lets traffic through: the key store answers for itself.
    return { limit: '', policy: '' }
  }
  const windowSeconds = Math.ceil(rule.windowMs / 1000)
  const resetSeconds = Math.max(1, Math.ceil(hit.resetMs / 1000))
  const remaining = Math.max(0, rule.max - hit.count)
  const headers = {
    policy: `"default";q=${rule.max};w=${windowSeconds}`,
    limit: `"default";r=${remaining};t=${resetSeconds}`,
  }
  if (hit.count > rule.max) {
    throw new PrivinferError(
      'RATE_LIMITED',
      `too many requests for ${rule.subject}: at most ${rule.max} per ${windowSeconds} s; retry in ${resetSeconds} s`,
      { retryAfterSeconds: resetSeconds, limit: rule.max, windowSeconds },
    )
  }
  return headers
}

/** Middleware: the per-client limit, keyed by `keyOf` (the client identity). */
export function limitRate(
  rule: RateLimitRule,
  keyOf: (req: Parameters<RequestHandler>[0], res: Parameters<RequestHandler>[1]) => string,
): RequestHandler {
  return (req, res, next) => {
    checkRate(rule, `client:${keyOf(req, res)}`).then(
      (headers) => {
        if (headers.policy) {
          res.setHeader('RateLimit-Policy', headers.policy)
          res.setHeader('RateLimit', headers.limit)
        }
        next()
      },
      (error: unknown) => next(error),
    )
  }
}
