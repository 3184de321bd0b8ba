/**
 * Request ids, one structured log line per request (pino), and the request-duration metric.
 * Logged: id, client address (req.ip: the peer, or X-Forwarded-For as far as TRUST_PROXY allows),
 * method, route template, status, problem code, bytes in/out, milliseconds. Never bodies, key ids,
 * tokens, keys, ciphertexts or values.
 */
import { randomUUID } from 'node:crypto'
import type { Request, RequestHandler } from 'express'
import type { Logger } from 'pino'
import type { HttpMetrics } from './metrics.ts'

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{8,64}$/

/** The matched route template (e.g. /v1/models/:id/infer), or 'unmatched' (bounded label set). */
export function routeOf(req: Request): string {
  const path = (req.route as { path?: unknown } | undefined)?.path
  return typeof path === 'string' ? `${req.baseUrl}${path}` : 'unmatched'
}

export function requestLog(logger: Logger, metrics: HttpMetrics): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint()
    const incoming = req.get('x-request-id')
    const requestId = incoming && REQUEST_ID_PATTERN.test(incoming) ? incoming : randomUUID()
    res.locals.requestId = requestId
    res.setHeader('X-Request-Id', requestId)
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6
      const route = routeOf(req)
      const code = res.locals.problemCode as string | undefined
      metrics.requestSeconds.observe(
        { method: req.method, route, status: String(res.statusCode) },
        ms / 1000,
      )
      if (code) metrics.problems.inc({ code })
      logger.info(
        {
          requestId,
          clientAddress: req.ip ?? req.socket.remoteAddress,
          method: req.method,
          route,
          status: res.statusCode,
          ...(code ? { code } : {}),
          bytesIn: Number(req.get('content-length') ?? 0),
          bytesOut: Number(res.getHeader('content-length') ?? 0),
          ms: Math.round(ms * 10) / 10,
        },
        'request',
      )
    })
    next()
  }
}
