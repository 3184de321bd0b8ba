/**
 * POST /v1/models/{id}/infer (multipart: field keyId; file input) -> 200 application/octet-stream,
 * the SEAL-serialized result ciphertext.
 *
 * A batch query (core/card.ts BatchCard) adds the fields `packing` and `maxBatch`, which must be the
 * card's (a query packed for another layout or K is BATCH_LAYOUT_MISMATCH), and sends the batch
 * plan's input ciphertexts as `input` parts in order; the answer is the result ciphertexts
 * concatenated (each SEAL object carries its own size in its header), with
 * `X-Privinfer-Ciphertexts` giving their number.
 */
import { Router } from 'express'
import type { Logger } from 'pino'
import { PrivinferError } from '../../../core/errors.ts'
import type { KeyStore } from '../../keystore/key-store.ts'
import type { HeExecutor } from '../../pool/he-executor.ts'
import type { ModelCatalog, ServedModel } from '../deps.ts'
import type { HttpMetrics } from '../metrics.ts'
import { filesOf, optionalField, parseMultipart, requireField, requireFile } from '../multipart.ts'
import type { BatchCard } from '../../../core/card.ts'
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
        const limits = uploadLimitsFor(model.card)
        parser = parseMultipart({
          files: ['input'],
          fields: ['keyId', 'packing', 'maxBatch'],
          maxFileBytes: limits.ciphertextBytes,
          maxCounts: { input: limits.inputParts },
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
      const batch = batchOf(model.card.batch, req)
      const inputs = filesOf(req, 'input')
      if (inputs.length === 0) requireFile(req, 'input')
      if (batch === undefined && inputs.length > 1) {
        throw new PrivinferError(
          'MULTIPART_MALFORMED',
          `a single-input query has one 'input' part, got ${inputs.length} (a batch query names its packing and maxBatch)`,
        )
      }
      if (batch !== undefined && inputs.length !== inputCiphertexts(batch)) {
        throw new PrivinferError(
          'BATCH_LAYOUT_MISMATCH',
          `a ${batch.packing} batch query of this model has ${inputCiphertexts(batch)} 'input' parts, got ${inputs.length}`,
          { field: 'input', got: inputs.length, expected: inputCiphertexts(batch) },
        )
      }
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
      const inputBytes = inputs.reduce((sum, input) => sum + input.byteLength, 0)
      metrics.uploadBytes.observe({ kind: 'input' }, inputBytes)
      const query = {
        modelId: model.id,
        keyId,
        keyExpiresAt: record.expiresAt,
        loadKeys: () => keyStore.get(keyId),
      }
      const outputs =
        batch === undefined
          ? [await executor.infer({ ...query, input: inputs[0] })]
          : await executor.inferBatch({ ...query, inputs })
      const ms = performance.now() - started
      metrics.inferSeconds.observe({ model: model.id }, ms / 1000)
      const outputBytes = outputs.reduce((sum, output) => sum + output.byteLength, 0)
      logger.info(
        {
          requestId: res.locals.requestId,
          modelId: model.id,
          ...(batch === undefined ? {} : { packing: batch.packing, inputParts: inputs.length }),
          inputBytes,
          outputBytes,
          ms: Math.round(ms),
        },
        'inference',
      )
      res
        .status(200)
        .type('application/octet-stream')
        .set('X-Privinfer-Ciphertexts', String(outputs.length))
        .send(
          outputs.length === 1
            ? Buffer.from(outputs[0].buffer, outputs[0].byteOffset, outputs[0].byteLength)
            : Buffer.concat(outputs),
        )
    },
  )
  return router
}

function inputCiphertexts(batch: BatchCard): number {
  return batch.packing === 'features' ? batch.inputCiphertexts : 1
}

/**
 * The batch plan a query declares (fields packing + maxBatch), checked against the card; undefined
 * for a single-input query (neither field).
 * @throws PrivinferError BATCH_LAYOUT_MISMATCH when the declaration is not the card's batch plan.
 */
function batchOf(card: BatchCard | undefined, req: Parameters<typeof optionalField>[0]) {
  const packing = optionalField(req, 'packing')
  const maxBatch = optionalField(req, 'maxBatch')
  if (packing === undefined && maxBatch === undefined) return undefined
  const expected = card === undefined ? null : { packing: card.packing, maxBatch: card.maxBatch }
  if (card === undefined || packing !== card.packing || maxBatch !== String(card.maxBatch)) {
    throw new PrivinferError(
      'BATCH_LAYOUT_MISMATCH',
      card === undefined
        ? 'this model has no batch plan: send single-input queries'
        : `this model's batch queries are packed as ${card.packing} for maxBatch ${card.maxBatch}, got ${packing ?? '(none)'} for ${maxBatch ?? '(none)'}`,
      { got: { packing: packing ?? null, maxBatch: maxBatch ?? null }, expected },
    )
  }
  return card
}
