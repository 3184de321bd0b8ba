/**
 * POST /v1/models/{id}/plain (JSON {input: number[]}) -> {output: number[], label: number}
 * The onnxruntime reference path, for tests with public data only. Off unless ENABLE_PLAIN=true:
 * a plaintext endpoint defeats the point of the service for private data.
 */
import express, { Router } from 'express'
import { PrivinferError } from '../../../core/errors.ts'
import { argmax } from '../../../core/math/argmax.ts'
import type { ModelCatalog, PlainRunner } from '../deps.ts'
import { findModel } from './models.ts'

/** JSON bodies of this route hold at most a few thousand numbers, bytes. */
const MAX_JSON_BYTES = 1 << 20

export function plainRouter(
  models: ModelCatalog,
  plain: PlainRunner | undefined,
  enabled: boolean,
): Router {
  const router = Router()
  const json = express.json({ limit: MAX_JSON_BYTES, type: () => true })
  router.post(
    '/v1/models/:id/plain',
    (req, _res, next) => {
      if (!enabled || plain === undefined) {
        throw new PrivinferError(
          'PLAIN_DISABLED',
          'plaintext inference is disabled on this service (ENABLE_PLAIN)',
        )
      }
      findModel(models, String(req.params.id))
      if (!req.is('application/json')) {
        throw new PrivinferError('UNSUPPORTED_MEDIA_TYPE', 'expected an application/json body', {
          contentType: req.get('content-type') ?? null,
        })
      }
      next()
    },
    json,
    async (req, res) => {
      const model = findModel(models, String(req.params.id))
      const input = (req.body as { input?: unknown } | undefined)?.input
      const size = model.card.input.size
      if (input === undefined)
        throw new PrivinferError('FIELD_MISSING', "the JSON field 'input' is required", {
          field: 'input',
        })
      if (
        !Array.isArray(input) ||
        input.length !== size ||
        !input.every((v) => typeof v === 'number' && Number.isFinite(v))
      ) {
        throw new PrivinferError(
          'INPUT_INVALID',
          `'input' must be an array of ${size} finite numbers (the model input after the card's preprocessing)`,
          { expectedLength: size, gotLength: Array.isArray(input) ? input.length : null },
        )
      }
      const output = Array.from(await plain!.run(model.id, Float64Array.from(input as number[])))
      res.json({ output, label: argmax(output) })
    },
  )
  return router
}
