/**
 * Everything `createApp` needs, passed in (tests pass fakes; service/main.ts builds the real ones).
 */
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { ModelCard } from '../../core/card.ts'
import type { Config } from '../config.ts'
import type { KeyStore } from '../keystore/key-store.ts'
import type { HeExecutor } from '../pool/he-executor.ts'
import type { WindowCounter } from './rate-limit.ts'
import type { TestImage } from '../../core/test-image.ts'

/** A model the service serves: its public card (GET /v1/models/{id}). */
export interface ServedModel {
  readonly id: string
  readonly card: ModelCard
}

/** The models being served; empty until start-up has compiled them. */
export interface ModelCatalog {
  /** Every served model, the default one first. */
  list(): readonly ServedModel[]
  /** Undefined when there is no such model. */
  find(id: string): ServedModel | undefined
}

/** Held-out images of the models' public test splits (service/models/test-images.ts). */
export interface TestImageSource {
  /**
   * @throws PrivinferError MODEL_NOT_FOUND for a model it does not know; DATASET_UNAVAILABLE when the
   *   model has no test split here (no indices file, dataset not installed).
   */
  random(modelId: string): Promise<TestImage>
}

/** The onnxruntime reference path (POST /v1/models/{id}/plain). */
export interface PlainRunner {
  /** Runs the model on one input vector (after preprocessing, `card.input.size` numbers). */
  run(modelId: string, input: Float64Array): Promise<Float64Array>
}

export interface AppDeps {
  config: Pick<
    Config,
    | 'corsOrigins'
    | 'rateLimitWindowMs'
    | 'rateLimitMax'
    | 'authTokens'
    | 'enablePlain'
    | 'trustProxyHops'
    | 'keyRateLimitMax'
    | 'keyQuotaSets'
    | 'keyQuotaBytes'
  >
  models: ModelCatalog
  keyStore: KeyStore
  executor: HeExecutor
  /** Required when config.enablePlain. */
  plain?: PlainRunner
  logger: Logger
  /** Prometheus registry served at /metrics (one per app, so tests can build several). */
  registry: Registry
  /** True once the models are compiled and the workers are up. */
  isReady: () => boolean
  /** The OpenAPI document served at GET /v1/openapi.json. */
  openapi: unknown
  /**
   * Rate-limit counters (default: in this process). With a shared key store, pass a counter on the
   * same store so that replicas enforce one limit together.
   */
  rateCounter?: WindowCounter
  /** GET /v1/models/{id}/test-image (absent: DATASET_UNAVAILABLE). */
  testImages?: TestImageSource
  /** The built demo page served at `/` (web/dist); absent: `/` says how to build it. */
  webDir?: string
}
