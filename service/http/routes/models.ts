/**
 * GET /v1/models (the catalog: one summary per model, the default model first with `default: true`)
 * and GET /v1/models/{id} (the full public card).
 */
import { Router } from 'express'
import { summarizeCard } from '../../../core/card.ts'
import { PrivinferError } from '../../../core/errors.ts'
import type { ModelCatalog, ServedModel } from '../deps.ts'

/** The model or MODEL_NOT_FOUND. */
export function findModel(models: ModelCatalog, id: string): ServedModel {
  const model = models.find(id)
  if (!model)
    throw new PrivinferError('MODEL_NOT_FOUND', `no model '${id.slice(0, 64)}'`, {
      modelId: id.slice(0, 64),
    })
  return model
}

export function modelsRouter(models: ModelCatalog): Router {
  const router = Router()
  router.get('/v1/models', (_req, res) => {
    // The catalog lists the default model first (service/pool/served-models.ts).
    res.json({
      models: models.list().map(({ card }, index) => summarizeCard(card, index === 0)),
    })
  })
  router.get('/v1/models/:id', (req, res) => {
    res.json(findModel(models, req.params.id).card)
  })
  return router
}
