/**
 * Fakes for the HTTP tests: a small model card, an HE executor that recognizes marker bytes instead
 * of running SEAL, and an app factory. The real executor is exercised by test/e2e/.
 */
import pino from 'pino'
import { Registry } from 'prom-client'
import type { Express } from 'express'
import type { ModelCard } from '../../../core/card.ts'
import { PrivinferError } from '../../../core/errors.ts'
import { createApp } from '../../../service/http/app.ts'
import type { AppDeps, ModelCatalog, ServedModel } from '../../../service/http/deps.ts'
import { MemoryKeyStore } from '../../../service/keystore/memory-key-store.ts'
import type {
  BatchInferRequest,
  HeExecutor,
  InferRequest,
} from '../../../service/pool/he-executor.ts'
import type { EvaluationKeyBytes } from '../../../service/keystore/key-store.ts'

export function fakeCard(id: string, overrides: Partial<ModelCard['he']> = {}): ModelCard {
  return {
    formatVersion: 1,
    id,
    title: `fake ${id}`,
    description: 'a fake card for HTTP tests',
    nonPrivate: true,
    onnxFile: 'model.onnx',
    labels: ['0', '1', '2', '3'],
    input: {
      rawSize: 4,
      size: 4,
      preprocessing: { kind: 'none' },
      layout: {
        slotCount: 1024,
        inputSize: 4,
        blocks: [{ slotStart: 0, length: 4, inputOffset: 0 }],
      },
    },
    output: {
      size: 4,
      layout: { slotCount: 1024, outputSize: 4, offset: 0, period: 4, copies: 1 },
    },
    he: {
      scheme: 'ckks',
      securityLevel: 128,
      polyModulusDegree: 2048,
      coeffModulusBits: [30, 20, 30],
      scaleBits: 20,
      encryptionParametersBase64: 'AAAA',
      depth: 1,
      galoisSteps: [1, 2],
      needsRelinKeys: true,
      inputLevel: 1,
      outputLevel: 0,
      reasons: [],
      opCounts: {},
      ...overrides,
    },
    createdAt: '2026-01-01T00:00:00Z',
  }
}

/** Marker bytes the fake executor understands. */
export const GOOD_KEYS = Uint8Array.from([0x5e, 0xa1, 1, 2, 3])
export const GOOD_CIPHERTEXT = Uint8Array.from([0x5e, 0xa1, 9, 9, 9])
export const FAKE_RESULT = Uint8Array.from([0x5e, 0xa1, 0xee])

/** Validates by marker bytes: anything else is malformed, mirroring core/wire's codes. */
export class FakeExecutor implements HeExecutor {
  validated = 0
  inferred = 0
  keyLoads = 0
  overloaded = false
  queued = 0

  async validateKeys(_modelId: string, keys: EvaluationKeyBytes): Promise<void> {
    if (this.overloaded) throw new PrivinferError('OVERLOADED', 'queue full')
    if (!startsWithMarker(keys.galoisKeys))
      throw new PrivinferError('KEYS_MALFORMED', 'not galois keys')
    if (keys.relinKeys && !startsWithMarker(keys.relinKeys))
      throw new PrivinferError('KEYS_MALFORMED', 'not relin keys')
    this.validated++
  }

  async infer(request: InferRequest): Promise<Uint8Array> {
    if (this.overloaded) throw new PrivinferError('OVERLOADED', 'queue full')
    if (!startsWithMarker(request.input))
      throw new PrivinferError('CIPHERTEXT_MALFORMED', 'not a ciphertext')
    if (request.input[2] === 0x01)
      throw new PrivinferError('CIPHERTEXT_WRONG_LEVEL', 'wrong level', { got: 0, expected: 1 })
    if (request.input[2] === 0x02) throw new PrivinferError('CIPHERTEXT_WRONG_SCALE', 'wrong scale')
    if (request.input[2] === 0x03)
      throw new PrivinferError('CIPHERTEXT_WRONG_PARAMETERS', 'other parameters')
    if (request.input[2] === 0x04) throw new PrivinferError('CIPHERTEXT_TRANSPARENT', 'transparent')
    if (request.input[2] === 0xff) throw new Error('a bug with a secret detail')
    await request.loadKeys()
    this.keyLoads++
    this.inferred++
    return FAKE_RESULT.slice()
  }

  /** Answers one FAKE_RESULT per expected output (the card's batch.outputCiphertexts, else 1). */
  batchOutputs = 1
  lastBatchInputs = 0

  async inferBatch(request: BatchInferRequest): Promise<Uint8Array[]> {
    if (this.overloaded) throw new PrivinferError('OVERLOADED', 'queue full')
    for (const input of request.inputs) {
      if (!startsWithMarker(input))
        throw new PrivinferError('CIPHERTEXT_MALFORMED', 'not a ciphertext')
    }
    await request.loadKeys()
    this.lastBatchInputs = request.inputs.length
    this.inferred++
    return Array.from({ length: this.batchOutputs }, () => FAKE_RESULT.slice())
  }

  queueSize(): number {
    return this.queued
  }

  async close(): Promise<void> {}
}

function startsWithMarker(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x5e && bytes[1] === 0xa1
}

export function catalogOf(cards: ModelCard[]): ModelCatalog {
  const served: ServedModel[] = cards.map((card) => ({ id: card.id, card }))
  return { list: () => served, find: (id) => served.find((model) => model.id === id) }
}

export interface TestApp {
  app: Express
  executor: FakeExecutor
  keyStore: MemoryKeyStore
  state: { ready: boolean; nowMs: number }
}

export function buildTestApp(
  overrides: Partial<AppDeps['config']> &
    Pick<Partial<AppDeps>, 'plain' | 'testImages' | 'webDir'> & {
      keyStore?: MemoryKeyStore
      logger?: AppDeps['logger']
      /** Extra models served besides alpha and beta. */
      extraCards?: ModelCard[]
    } = {},
): TestApp {
  const executor = new FakeExecutor()
  const state = { ready: true, nowMs: Date.parse('2026-01-01T00:00:00Z') }
  const {
    plain,
    keyStore: givenStore,
    logger,
    testImages,
    webDir,
    extraCards = [],
    ...config
  } = overrides
  const keyStore = givenStore ?? new MemoryKeyStore({ ttlSeconds: 60, now: () => state.nowMs })
  const app = createApp({
    config: {
      corsOrigins: ['https://demo.example'],
      rateLimitWindowMs: 60_000,
      rateLimitMax: 0,
      authTokens: [],
      enablePlain: false,
      trustProxyHops: 0,
      keyRateLimitMax: 0,
      keyQuotaSets: 0,
      keyQuotaBytes: 0,
      ...config,
    },
    models: catalogOf([
      fakeCard('alpha'),
      fakeCard('beta', { needsRelinKeys: false }),
      ...extraCards,
    ]),
    keyStore,
    executor,
    plain,
    logger: logger ?? pino({ level: 'silent' }),
    registry: new Registry(),
    isReady: () => state.ready,
    openapi: { openapi: '3.1.0', info: { title: 'privinfer', version: '1' }, paths: {} },
    testImages,
    webDir,
  })
  return { app, executor, keyStore, state }
}
