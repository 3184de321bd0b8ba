/**
 * POST /v1/keys (multipart: field modelId; files galoisKeys, relinKeys, publicKey) -> 201 {keyId, expiresAt, modelId}
 * (publicKey only, and then required, for a model whose card has he.flooding)
 * DELETE /v1/keys/{keyId} -> 204
 *
 * Keys are validated in a worker against the model's parameters before they are stored.
 */
import { Router } from 'express'
import type { Logger } from 'pino'
import { PrivinferError } from '../../../core/errors.ts'
import type { EvaluationKeyBytes, KeyStore } from '../../keystore/key-store.ts'
import type { HeExecutor } from '../../pool/he-executor.ts'
import type { ModelCatalog } from '../deps.ts'
import type { HttpMetrics } from '../metrics.ts'
import { optionalFile, parseMultipart, requireField } from '../multipart.ts'
import { uploadLimitsFor } from '../upload-limits.ts'
import { findModel } from './models.ts'
import { clientIdentityOf } from '../auth.ts'
import { checkQuota, ownerDigest, quotaError } from '../../keystore/quota.ts'
import { copyKeyBytes } from '../../keystore/expiry.ts'

export interface KeysRouteDeps {
  models: ModelCatalog
  keyStore: KeyStore
  executor: HeExecutor
  logger: Logger
  metrics: HttpMetrics
  /** Per-client limits (KEY_QUOTA_SETS, KEY_QUOTA_BYTES; 0: none), checked before validation. */
  quota: { sets: number; bytes: number }
}

export function keysRouter(deps: KeysRouteDeps): Router {
  const { models, keyStore, executor, logger, metrics, quota } = deps
  const router = Router()
  // The model is named inside the body, so multer gets the largest limit over all models and the
  // exact one is checked once modelId is known.
  const largestKeyBytes = () =>
    Math.max(
      1,
      ...models.list().map(({ card }) => {
        const limits = uploadLimitsFor(card)
        return Math.max(limits.galoisKeyBytes, limits.relinKeyBytes, limits.publicKeyBytes)
      }),
    )
  router.post(
    '/v1/keys',
    (req, res, next) =>
      parseMultipart({
        files: ['galoisKeys', 'relinKeys', 'publicKey'],
        fields: ['modelId'],
        maxFileBytes: largestKeyBytes(),
      })(req, res, next),
    async (req, res) => {
      const started = performance.now()
      const model = findModel(models, requireField(req, 'modelId'))
      const { he } = model.card
      const limits = uploadLimitsFor(model.card)
      const galoisKeys = optionalFile(req, 'galoisKeys')
      const relinKeys = optionalFile(req, 'relinKeys')
      const publicKey = optionalFile(req, 'publicKey')
      if (galoisKeys === undefined && he.galoisSteps.length > 0) {
        throw new PrivinferError(
          'FIELD_MISSING',
          `the multipart file 'galoisKeys' is required for model '${model.id}'`,
          {
            field: 'galoisKeys',
          },
        )
      }
      if (relinKeys === undefined && he.needsRelinKeys) {
        throw new PrivinferError(
          'FIELD_MISSING',
          `the multipart file 'relinKeys' is required for model '${model.id}'`,
          {
            field: 'relinKeys',
          },
        )
      }
      if (relinKeys !== undefined && !he.needsRelinKeys) {
        throw new PrivinferError(
          'BAD_REQUEST',
          `model '${model.id}' needs no relinearization keys; do not upload them`,
          {
            field: 'relinKeys',
          },
        )
      }
      checkPublicKeyField(model.id, he.flooding !== undefined, publicKey)
      for (const [field, bytes, limit] of [
        ['galoisKeys', galoisKeys, limits.galoisKeyBytes],
        ['relinKeys', relinKeys, limits.relinKeyBytes],
        ['publicKey', publicKey, limits.publicKeyBytes],
      ] as const) {
        if (bytes !== undefined && bytes.byteLength > limit) {
          throw new PrivinferError(
            'BODY_TOO_LARGE',
            `'${field}' is ${bytes.byteLength} bytes, at most ${limit} for this model`,
            {
              field,
              bytes: bytes.byteLength,
              limit,
            },
          )
        }
      }
      const keys: EvaluationKeyBytes = {
        galoisKeys: galoisKeys ?? new Uint8Array(0),
        ...(relinKeys ? { relinKeys } : {}),
        ...(publicKey ? { publicKey } : {}),
      }
      const galoisKeyBytes = keys.galoisKeys.byteLength
      const relinKeyBytes = keys.relinKeys?.byteLength ?? 0
      const publicKeyBytes = keys.publicKey?.byteLength ?? 0
      metrics.uploadBytes.observe({ kind: 'galoisKeys' }, galoisKeyBytes)
      if (relinKeyBytes > 0) metrics.uploadBytes.observe({ kind: 'relinKeys' }, relinKeyBytes)
      // The store gets copies: the validation transfers (detaches) the buffers it is given.
      const toStore: EvaluationKeyBytes = copyKeyBytes(keys)
      // A client past its quota is told so before a worker spends time validating its keys; the
      // store checks again, atomically, when it writes.
      const owner = ownerDigest(clientIdentityOf(req, res))
      const verdict = checkQuota(
        { maxKeySetsPerClient: quota.sets, maxKeyBytesPerClient: quota.bytes, maxTotalKeyBytes: 0 },
        await keyStore.usage(owner),
        0,
        galoisKeyBytes + relinKeyBytes + publicKeyBytes,
      )
      if (verdict) throw quotaError(verdict, galoisKeyBytes + relinKeyBytes + publicKeyBytes)
      await executor.validateKeys(model.id, keys)
      const { keyId, expiresAt } = await keyStore.put(model.id, toStore, { owner })
      logger.info(
        {
          requestId: res.locals.requestId,
          modelId: model.id,
          galoisKeyBytes,
          relinKeyBytes,
          publicKeyBytes,
          ms: Math.round(performance.now() - started),
        },
        'keys stored',
      )
      res.status(201).location(`/v1/keys/${keyId}`).json({ keyId, expiresAt, modelId: model.id })
    },
  )
  return router
}

/** A public key is uploaded exactly for the models that flood their results with it. */
function checkPublicKeyField(
  modelId: string,
  floods: boolean,
  publicKey: Uint8Array | undefined,
): void {
  if (floods && publicKey === undefined) {
    throw new PrivinferError(
      'FIELD_MISSING',
      `the multipart file 'publicKey' is required for model '${modelId}' (it floods its results)`,
      { field: 'publicKey' },
    )
  }
  if (!floods && publicKey !== undefined) {
    throw new PrivinferError(
      'BAD_REQUEST',
      `model '${modelId}' does not flood its results; do not upload a public key`,
      { field: 'publicKey' },
    )
  }
}

/** DELETE /v1/keys/{keyId} -> 204 (KEY_NOT_FOUND otherwise). Needs only the key store. */
export function keyDeletionRouter(keyStore: KeyStore): Router {
  const router = Router()
  router.delete('/v1/keys/:keyId', async (req, res) => {
    await keyStore.delete(req.params.keyId)
    res.status(204).end()
  })
  return router
}
