/**
 * Bearer-token authentication (AUTH_TOKEN, one or several comma-separated tokens) and the client
 * identity that quotas and rate limits count by: a client is its token when the service has tokens,
 * else its source address (`req.ip`: the socket's peer, or X-Forwarded-For only as far as TRUST_PROXY
 * says; service/http/app.ts sets Express's `trust proxy`).
 *
 * Tokens are compared in constant time over SHA-256 digests, so neither a token's content nor its
 * length leaks through timing; every token is compared, so which one matched does not leak either.
 * The identity of a token client is a short fingerprint of its digest, never the token.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { RequestHandler, Request, Response } from 'express'
import { PrivinferError } from '../../core/errors.ts'

export function requireBearerToken(tokens: readonly string[]): RequestHandler {
  const expected = tokens.map((token) => createHash('sha256').update(token).digest())
  return (req, res, next) => {
    const header = req.get('authorization') ?? ''
    const match = /^Bearer\s+(\S+)$/i.exec(header)
    const given = createHash('sha256')
      .update(match?.[1] ?? '')
      .digest()
    let matched = -1
    for (let index = 0; index < expected.length; index++)
      if (timingSafeEqual(given, expected[index]) && matched < 0) matched = index
    if (match && matched >= 0) {
      res.locals.clientIdentity = `token:${expected[matched].subarray(0, 8).toString('hex')}`
      next()
      return
    }
    next(
      new PrivinferError(
        'UNAUTHORIZED',
        'a valid bearer token is required (Authorization: Bearer <token>)',
      ),
    )
  }
}

/** "token:<fingerprint>" after authentication, else "ip:<address>". */
export function clientIdentityOf(req: Request, res: Response): string {
  const identity = res.locals.clientIdentity as string | undefined
  return identity ?? `ip:${req.ip ?? req.socket.remoteAddress ?? 'unknown'}`
}
