/**
 * The Express app of the REST API (v1), without `listen` (service/main.ts listens; tests use supertest).
 *
 * Order: request id + log -> helmet -> CORS -> health / openapi / demo page (open) -> rate limit ->
 * bearer auth -> readiness gate -> routes -> 404 -> problem+json.
 */
import express, { type Express } from 'express'
import cors from 'cors'
import helmet from 'helmet'
import { rateLimit } from 'express-rate-limit'
import { PrivinferError } from '../../core/errors.ts'
import type { AppDeps } from './deps.ts'
import { requireBearerToken } from './auth.ts'
import { createHttpMetrics } from './metrics.ts'
import { createProblemHandler } from './problem.ts'
import { requestLog } from './request-log.ts'
import { healthRouter } from './routes/health.ts'
import { inferRouter } from './routes/infer.ts'
import { keysRouter } from './routes/keys.ts'
import { modelsRouter } from './routes/models.ts'
import { plainRouter } from './routes/plain.ts'
import { testImageRouter } from './routes/test-image.ts'
import { webRouter } from './routes/web.ts'

export function createApp(deps: AppDeps): Express {
  const { config, models, keyStore, executor, logger, registry } = deps
  const metrics = createHttpMetrics(registry, () => executor.queueSize())
  const app = express()
  app.disable('x-powered-by')
  app.set('trust proxy', config.trustProxyHops)
  app.set('etag', false)

  app.use(requestLog(logger, metrics))
  app.use(helmet())
  if (config.corsOrigins.length > 0) {
    app.use(
      cors({
        origin: config.corsOrigins.includes('*') ? '*' : [...config.corsOrigins],
        methods: ['GET', 'POST', 'DELETE'],
        allowedHeaders: ['Authorization', 'Content-Type', 'X-Request-Id'],
        exposedHeaders: ['Retry-After', 'X-Request-Id', 'Location'],
        maxAge: 600,
      }),
    )
  }

  app.use(healthRouter(models, deps.isReady))
  app.get('/v1/openapi.json', (_req, res) => {
    res.json(deps.openapi)
  })
  app.use(webRouter(deps.webDir))

  if (config.rateLimitMax > 0) {
    app.use(
      rateLimit({
        windowMs: config.rateLimitWindowMs,
        limit: config.rateLimitMax,
        standardHeaders: 'draft-8',
        legacyHeaders: false,
        handler: (_req, _res, next) => {
          next(new PrivinferError('RATE_LIMITED', 'too many requests from this client; slow down'))
        },
      }),
    )
  }
  if (config.authToken !== undefined) app.use(requireBearerToken(config.authToken))

  app.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics())
  })

  app.use((_req, _res, next) => {
    next(
      deps.isReady()
        ? undefined
        : new PrivinferError('NOT_READY', 'models are compiling or workers are starting'),
    )
  })
  app.use(modelsRouter(models))
  app.use(keysRouter({ models, keyStore, executor, logger, metrics }))
  app.use(inferRouter({ models, keyStore, executor, logger, metrics }))
  app.use(plainRouter(models, deps.plain, config.enablePlain))
  app.use(testImageRouter(models, deps.testImages))

  app.use((req, _res, next) => {
    next(new PrivinferError('NOT_FOUND', `no route ${req.method} ${req.path.slice(0, 100)}`))
  })
  app.use(createProblemHandler(logger))
  return app
}
