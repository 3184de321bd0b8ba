/**
 * Optional bearer-token authentication (AUTH_TOKEN). The comparison runs in constant time over
 * SHA-256 digests, so neither the token's content nor its length leaks through timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { RequestHandler } from 'express'
import { PrivinferError } from '../../core/errors.ts'

export function requireBearerToken(token: string): RequestHandler {
  const expected = createHash('sha256').update(token).digest()
  return (req, _res, next) => {
    const header = req.get('authorization') ?? ''
    const match = /^Bearer\s+(\S+)$/i.exec(header)
    const given = createHash('sha256')
      .update(match?.[1] ?? '')
      .digest()
    if (match && timingSafeEqual(given, expected)) {
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
