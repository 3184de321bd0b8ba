/**
 * GET /v1/health: 200 {status: "ok", models} once the models are compiled and the workers are up;
 * 503 NOT_READY before (and while shutting down).
 */
import { Router } from 'express'
import { PrivinferError } from '../../../core/errors.ts'
import type { ModelCatalog } from '../deps.ts'

export function healthRouter(models: ModelCatalog, isReady: () => boolean): Router {
  const router = Router()
  router.get('/v1/health', (_req, res) => {
    if (!isReady())
      throw new PrivinferError('NOT_READY', 'models are compiling or workers are starting')
    res
      .set('Cache-Control', 'no-store')
      .json({ status: 'ok', models: models.list().map((model) => model.id) })
  })
  return router
}
