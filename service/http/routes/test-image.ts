/**
 * GET /v1/models/{id}/test-image: a random held-out image of the model's public test split
 * (service/models/test-images.ts), for demos (the page's "test image" button) and smoke tests. Public
 * data going out; nothing comes in.
 */
import { Router } from 'express'
import { PrivinferError } from '../../../core/errors.ts'
import type { ModelCatalog, TestImageSource } from '../deps.ts'
import { findModel } from './models.ts'

export function testImageRouter(models: ModelCatalog, source: TestImageSource | undefined): Router {
  const router = Router()
  router.get('/v1/models/:id/test-image', async (req, res) => {
    const { card } = findModel(models, req.params.id)
    if (source === undefined)
      throw new PrivinferError('DATASET_UNAVAILABLE', 'this service serves no test images')
    res.set('Cache-Control', 'no-store').json(await source.random(card.id))
  })
  return router
}
