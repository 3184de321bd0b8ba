/**
 * The privinfer service process: `npm start` (node service/main.ts) and `privinfer serve`.
 *
 * Start-up: load the configuration -> listen at once (GET /v1/health answers 503 NOT_READY) ->
 * compile the models (service/models) -> start the worker pool (each worker loads SEAL and the plans)
 * -> ready (health 200). SIGTERM / SIGINT: health goes back to 503, the server stops accepting
 * connections and finishes in-flight requests, the pool drains, the process exits.
 */
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pino, { type Logger } from 'pino'
import { Registry } from 'prom-client'
import { PrivinferError } from '../core/errors.ts'
import { accessModeOf, type Config, loadConfig, redactedKeyStore } from './config.ts'
import { createApp } from './http/app.ts'
import type { ModelCatalog, PlainRunner, ServedModel } from './http/deps.ts'
import { FileKeyStore } from './keystore/file-key-store.ts'
import type { KeyStore } from './keystore/key-store.ts'
import { RedisKeyStore } from './keystore/redis-key-store.ts'
import type { BatchInferRequest, HeExecutor, InferRequest } from './pool/he-executor.ts'
import type { WindowCounter } from './http/rate-limit.ts'
import { WorkerPool } from './pool/worker-pool.ts'
import { loadServedModels, type LoadedModel } from './pool/served-models.ts'
import { createPlainModel, type PlainModel } from './plain/onnx-runtime.ts'
import {
  createTestImageSource,
  type TestImage,
  type TestImageSource,
} from './models/test-images.ts'

/** How often expired keys are swept from the key store, milliseconds. */
const SWEEP_INTERVAL_MS = 60_000

const OPENAPI_FILE = fileURLToPath(new URL('../docs/openapi.json', import.meta.url))
/** The demo page, built by web/build.ts (npm start's prestart). */
const WEB_DIR = fileURLToPath(new URL('../web/dist', import.meta.url))

export interface RunningService {
  /** e.g. http://127.0.0.1:8080 */
  readonly url: string
  readonly server: Server
  /** Resolves once the models are compiled and the workers are up (rejects if start-up fails). */
  readonly ready: Promise<void>
  /** Graceful stop: not ready, stop accepting, drain requests and the pool. Idempotent. */
  close(): Promise<void>
}

/** A catalog filled once the models are compiled. */
class MutableCatalog implements ModelCatalog {
  #models: ServedModel[] = []
  set(models: ServedModel[]): void {
    this.#models = models
  }
  list(): readonly ServedModel[] {
    return this.#models
  }
  find(id: string): ServedModel | undefined {
    return this.#models.find((model) => model.id === id)
  }
}

/** Delegates to the pool once it runs (the readiness gate keeps requests away before). */
class DeferredExecutor implements HeExecutor {
  target: HeExecutor | undefined
  #get(): HeExecutor {
    if (!this.target) throw new PrivinferError('NOT_READY', 'workers are starting')
    return this.target
  }
  validateKeys(modelId: string, keys: Parameters<HeExecutor['validateKeys']>[1]): Promise<void> {
    return this.#get().validateKeys(modelId, keys)
  }
  infer(request: InferRequest): Promise<Uint8Array> {
    return this.#get().infer(request)
  }
  inferBatch(request: BatchInferRequest): Promise<Uint8Array[]> {
    return this.#get().inferBatch(request)
  }
  queueSize(): number {
    return this.target?.queueSize() ?? 0
  }
  workerBusySeconds(): number {
    return this.target?.workerBusySeconds?.() ?? 0
  }
  workerCpuSeconds(): number {
    return this.target?.workerCpuSeconds?.() ?? 0
  }
  async close(): Promise<void> {
    await this.target?.close()
  }
}

/** Test images of the loaded models (the readiness gate keeps requests away before). */
class DeferredTestImages implements TestImageSource {
  target: TestImageSource | undefined
  random(modelId: string): Promise<TestImage> {
    if (!this.target) return Promise.reject(new PrivinferError('NOT_READY', 'models are loading'))
    return this.target.random(modelId)
  }
}

/** Runs onnxruntime sessions for POST /plain (ENABLE_PLAIN only). */
function plainRunnerOf(models: Map<string, PlainModel>): PlainRunner {
  return {
    async run(modelId, input) {
      const model = models.get(modelId)
      if (!model) throw new PrivinferError('MODEL_NOT_FOUND', `no model '${modelId}'`)
      const [output] = await model.run([input])
      return output
    },
  }
}

/** A port taken by another process is a configuration problem with a name, not a Node stack. */
function listenProblem(error: Error, config: Config): Error {
  if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') return error
  return new PrivinferError(
    'PORT_IN_USE',
    `port ${config.port} on ${config.host} is in use by another process; choose another with PORT (npm start) or --port (privinfer serve)`,
    { port: config.port, host: config.host },
    { cause: error },
  )
}

/**
 * The configured key store, initialized (files under keysDir, or a shared Redis), with its quotas,
 * and the rate-limit counter to use with it (in Redis too when the store is: one limit for all
 * replicas).
 */
async function openKeyStore(
  config: Config,
  logger: Logger,
): Promise<{ keyStore: KeyStore; rateCounter: WindowCounter | undefined }> {
  const quota = {
    maxKeySetsPerClient: config.keyQuotaSets,
    maxKeyBytesPerClient: config.keyQuotaBytes,
    maxTotalKeyBytes: config.keyStoreMaxBytes,
  }
  const ttlSeconds = config.keyTtlSeconds
  let keyStore: KeyStore
  let rateCounter: WindowCounter | undefined
  if (config.keyStoreUrl === undefined) {
    const store = new FileKeyStore({ dir: config.keysDir, ttlSeconds, quota })
    await store.init()
    keyStore = store
  } else {
    const store = new RedisKeyStore({ url: config.keyStoreUrl, ttlSeconds, quota, logger })
    await store.init()
    keyStore = store
    rateCounter = { hit: (name, windowMs) => store.hitWindow(name, windowMs) }
  }
  logger.info({ keyStore: redactedKeyStore(config), quota }, 'key store open')
  return { keyStore, rateCounter }
}

/**
 * Starts the service with a parsed configuration. Returns once listening; `ready` settles later.
 */
export async function startService(
  config: Config,
  logger: Logger = pino({ level: config.logLevel }),
): Promise<RunningService> {
  const catalog = new MutableCatalog()
  const executor = new DeferredExecutor()
  const testImages = new DeferredTestImages()
  const plainModels = new Map<string, PlainModel>()
  const { keyStore, rateCounter } = await openKeyStore(config, logger)
  const openapi = JSON.parse(await readFile(OPENAPI_FILE, 'utf8')) as unknown
  const state = { ready: false, closing: false }

  const app = createApp({
    config,
    models: catalog,
    keyStore,
    executor,
    plain: config.enablePlain ? plainRunnerOf(plainModels) : undefined,
    logger,
    registry: new Registry(),
    isReady: () => state.ready && !state.closing,
    openapi,
    rateCounter,
    testImages,
    webDir: WEB_DIR,
  })
  const { server, url } = await listen(app, config)
  logger.info(
    { url, access: accessModeOf(config), modelsDir: config.modelsDir, workers: config.workers },
    'listening; compiling models',
  )

  let sweepTimer: NodeJS.Timeout | undefined
  const ready = (async () => {
    const started = performance.now()
    const loaded: LoadedModel[] = await loadServedModels(
      config.modelsDir,
      config.defaultModel,
      logger,
      { serveNonPrivateModels: config.serveNonPrivateModels },
    )
    const pool = await WorkerPool.start({
      models: loaded.map(({ card, compiled }) => ({ card, compiled })),
      workers: config.workers,
      maxQueue: config.maxQueue,
      keyCacheBytes: config.keyCacheBytes,
    })
    if (state.closing) {
      await pool.close()
      return
    }
    executor.target = pool
    if (config.enablePlain) await loadPlainModels(loaded, plainModels)
    catalog.set(loaded.map(({ card }) => ({ id: card.id, card })))
    testImages.target = createTestImageSource(loaded)
    sweepTimer = startKeySweep(keyStore, logger)
    state.ready = true
    logger.info(
      {
        models: loaded.map(({ card }) => card.id),
        workers: config.workers,
        ms: Math.round(performance.now() - started),
      },
      'ready',
    )
  })()

  let closing: Promise<void> | undefined
  const close = () => {
    closing ??= (async () => {
      state.closing = true
      if (sweepTimer) clearInterval(sweepTimer)
      const timeout = setTimeout(() => server.closeAllConnections(), config.shutdownTimeoutMs)
      timeout.unref()
      server.closeIdleConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      clearTimeout(timeout)
      await ready.catch(() => undefined)
      await executor.close()
      for (const model of plainModels.values()) await model.close()
      await keyStore.close()
      logger.info('stopped')
    })()
    return closing
  }
  return { url, server, ready, close }
}

/** Listens on the configured address with bounded timeouts; the URL a local client would use. */
async function listen(
  app: ReturnType<typeof createApp>,
  config: Config,
): Promise<{ server: Server; url: string }> {
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(config.port, config.host, (error?: Error) =>
      error ? reject(listenProblem(error, config)) : resolve(listening),
    )
  })
  // Uploads of several MB over slow links: generous, but bounded.
  server.requestTimeout = 120_000
  // Idle keep-alive connections stay open longer than common proxies' and clients' idle timeouts
  // (60 s), so the service is never the side that closes a connection a client is about to reuse
  // (a POST on a connection closed under it fails, and POSTs are not retried).
  server.keepAliveTimeout = 65_000
  server.headersTimeout = 66_000
  const address = server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  const url = `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${address.port}`
  return { server, url }
}

/** onnxruntime sessions of the served models, for the plaintext route (ENABLE_PLAIN). */
async function loadPlainModels(
  loaded: readonly LoadedModel[],
  plainModels: Map<string, PlainModel>,
): Promise<void> {
  for (const model of loaded) {
    plainModels.set(
      model.card.id,
      await createPlainModel(await readFile(join(model.dir, model.card.onnxFile))),
    )
  }
}

/** Removes expired key sets every SWEEP_INTERVAL_MS (the Redis store expires its own). */
function startKeySweep(keyStore: KeyStore, logger: Logger): NodeJS.Timeout {
  const timer = setInterval(() => {
    keyStore.sweepExpired().then(
      (removed) => removed > 0 && logger.info({ removed }, 'expired keys swept'),
      (error: unknown) => logger.error({ err: error }, 'key sweep failed'),
    )
  }, SWEEP_INTERVAL_MS)
  timer.unref()
  return timer
}

/** Entry point: config from the environment, signals, exit codes. */
export async function main(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<void> {
  const config = loadConfig(env)
  const logger = pino({ level: config.logLevel })
  const service = await startService(config, logger)
  const stop = (signal: string) => {
    logger.info({ signal }, 'shutting down')
    service.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed')
        process.exit(1)
      },
    )
  }
  process.once('SIGTERM', () => stop('SIGTERM'))
  process.once('SIGINT', () => stop('SIGINT'))
  service.ready.catch((error: unknown) => {
    logger.fatal({ err: error }, 'start-up failed')
    void service.close().finally(() => process.exit(1))
  })
}

if (import.meta.main) {
  main().catch((error: unknown) => {
    // One line, with the code when there is one (as the CLI reports its errors).
    const message = (error instanceof Error ? error.message : String(error)).replace(
      /\s*\n\s*/g,
      '; ',
    )
    const code = error instanceof PrivinferError ? ` [${error.code}]` : ''
    process.stderr.write(`privinfer: ${message}${code}\n`)
    process.exit(1)
  })
}
