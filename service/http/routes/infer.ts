/**
 * POST /v1/models/{id}/infer (multipart: field keyId; file input) -> 200 application/octet-stream,
 * the SEAL-serialized result ciphertext.
 */
import { Router } from 'express'
import type { Logger } from 'pino'
import { PrivinferError } from '../../../core/errors.ts'
import type { KeyStore } from '../../keystore/key-store.ts'
import type { HeExecutor } from '../../pool/he-executor.ts'
import type { ModelCatalog, ServedModel } from '../deps.ts'
import type { HttpMetrics } from '../metrics.ts'
import { parseMultipart, requireField, requireFile } from '../multipart.ts'
import { uploadLimitsFor } from '../upload-limits.ts'
import { findModel } from './models.ts'
import { checkRate, type RateLimitRule } from '../rate-limit.ts'
import { keyIdDigest } from '../../keystore/key-id.ts'

export interface InferRouteDeps {
  models: ModelCatalog
  keyStore: KeyStore
  executor: HeExecutor
  logger: Logger
  metrics: HttpMetrics
  /** Queries per key id and window (KEY_RATE_LIMIT_MAX); undefined: no per-key limit. */
  keyRateRule?: RateLimitRule
}

export function inferRouter(deps: InferRouteDeps): Router {
  const { models, keyStore, executor, logger, metrics, keyRateRule } = deps
  const router = Router()
  const parsers = new WeakMap<ServedModel, ReturnType<typeof parseMultipart>>()
  router.post(
    '/v1/models/:id/infer',
    (req, res, next) => {
      // Unknown model first (404 before reading any body), then the limit of this model.
      const model = findModel(models, String(req.params.id))
      let parser = parsers.get(model)
      if (!parser) {
        parser = parseMultipart({
          files: ['input'],
          fields: ['keyId'],
          maxFileBytes: uploadLimitsFor(model.card).ciphertextBytes,
        })
        parsers.set(model, parser)
      }
      res.locals.model = model
      parser(req, res, next)
    },
    async (req, res) => {
      const started = performance.now()
      const model = res.locals.model as ServedModel
      const keyId = requireField(req, 'keyId')
      const input = requireFile(req, 'input')
      const record = await keyStore.describe(keyId)
      if (record.modelId !== model.id) {
        throw new PrivinferError(
          'KEYS_MODEL_MISMATCH',
          `these keys were uploaded for model '${record.modelId}', not '${model.id}'`,
          { keysModelId: record.modelId, modelId: model.id },
        )
      }
      // Counted per key set (by digest) on every replica sharing the counter: one key cannot
      // monopolize the workers, whichever addresses it is used from.
      if (keyRateRule) await checkRate(keyRateRule, `key:${keyIdDigest(keyId)}`)
      const inputBytes = input.byteLength
      metrics.uploadBytes.observe({ kind: 'input' }, inputBytes)
      const output = await executor.infer({
        modelId: model.id,
        keyId,
        keyExpiresAt: record.expiresAt,
        input,
        loadKeys: () => keyStore.get(keyId),
      })
      const ms = performance.now() - started
      metrics.inferSeconds.observe({ model: model.id }, ms / 1000)
      logger.info(
        {
          requestId: res.locals.requestId,
          modelId: model.id,
          inputBytes,
          outputBytes: output.byteLength,
          ms: Math.round(ms),
        },
        'inference',
      )
      res
        .status(200)
        .type('application/octet-stream')
        .send(Buffer.from(output.buffer, output.byteOffset, output.byteLength))
    },
  )
  return router
}
