/**
 * The Express app of the REST API (v1), without `listen` (service/main.ts listens; tests use supertest).
 *
 * Order: request id + log -> helmet -> CORS -> health / openapi / demo page (open) -> bearer auth
 * (names the client) -> per-client rate limit -> metrics -> key deletion (also while starting or
 * shutting down) -> readiness gate -> routes -> 404 -> problem+json.
 */
import express, { type Express } from 'express'
import cors from 'cors'
import helmet from 'helmet'
import { PrivinferError } from '../../core/errors.ts'
import type { AppDeps } from './deps.ts'
import { clientIdentityOf, requireBearerToken } from './auth.ts'
import { limitRate, MemoryWindowCounter } from './rate-limit.ts'
import { createHttpMetrics } from './metrics.ts'
import { createProblemHandler } from './problem.ts'
import { requestLog } from './request-log.ts'
import { healthRouter } from './routes/health.ts'
import { inferRouter } from './routes/infer.ts'
import { keyDeletionRouter, keysRouter } from './routes/keys.ts'
import { modelsRouter } from './routes/models.ts'
import { plainRouter } from './routes/plain.ts'
import { testImageRouter } from './routes/test-image.ts'
import { webRouter } from './routes/web.ts'

export function createApp(deps: AppDeps): Express {
  const { config, models, keyStore, executor, logger, registry } = deps
  const metrics = createHttpMetrics(
    registry,
    () => executor.queueSize(),
    () => executor.workerBusySeconds?.() ?? 0,
    () => executor.workerCpuSeconds?.() ?? 0,
  )
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

  if (config.authTokens.length > 0) app.use(requireBearerToken(config.authTokens))
  const rateCounter = deps.rateCounter ?? new MemoryWindowCounter()
  if (config.rateLimitMax > 0) {
    app.use(
      limitRate(
        {
          counter: rateCounter,
          windowMs: config.rateLimitWindowMs,
          max: config.rateLimitMax,
          subject: 'this client',
        },
        clientIdentityOf,
      ),
    )
  }
  const keyRateRule =
    config.keyRateLimitMax > 0
      ? {
          counter: rateCounter,
          windowMs: config.rateLimitWindowMs,
          max: config.keyRateLimitMax,
          subject: 'this key id',
        }
      : undefined

  app.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics())
  })

  // Deleting keys needs neither the models nor the workers: accepted while starting and while
  // draining on shutdown, so a client can always withdraw its keys.
  app.use(keyDeletionRouter(keyStore))
  app.use((_req, _res, next) => {
    next(
      deps.isReady()
        ? undefined
        : new PrivinferError('NOT_READY', 'models are compiling or workers are starting'),
    )
  })
  app.use(modelsRouter(models))
  const quota = { sets: config.keyQuotaSets, bytes: config.keyQuotaBytes }
  app.use(keysRouter({ models, keyStore, executor, logger, metrics, quota }))
  app.use(inferRouter({ models, keyStore, executor, logger, metrics, keyRateRule }))
  app.use(plainRouter(models, deps.plain, config.enablePlain))
  app.use(testImageRouter(models, deps.testImages))

  app.use((req, _res, next) => {
    next(new PrivinferError('NOT_FOUND', `no route ${req.method} ${req.path.slice(0, 100)}`))
  })
  app.use(createProblemHandler(logger))
  return app
}
