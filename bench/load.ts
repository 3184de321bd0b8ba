/**
 * `npm run bench:load`: load test of the running service (a benchmark, not a test).
 *
 * 1. Starts the service as a child process (`node service/main.ts`, as `npm start` does) on a free
 *    loopback port, with temporary keys/ and models/ folders holding the bundled default model
 *    (WORKERS = cores unless set), and opens a client session from this process.
 * 2. Concurrency: 200 encrypted queries sent at once (inputs encrypted beforehand). Reports failures,
 *    wall time, throughput, latency quantiles, and the service's event-loop delay while they run: the
 *    maximum of perf_hooks.monitorEventLoopDelay in the service process, read from its /metrics
 *    (prom-client's nodejs_eventloop_lag_max_seconds, reset by the scrape just before the burst).
 *    Every result is decrypted afterwards and compared with onnxruntime's argmax.
 * 3. Memory: 1,000 sequential queries; the service process's RSS (main thread + worker threads, from
 *    /metrics process_resident_memory_bytes) sampled every 50 queries; least-squares slope after a
 *    100-query warm-up.
 * 4. Key sets: LOAD_KEY_SETS distinct evaluation-key sets (each made, uploaded, used to encrypt one
 *    input, then freed here), then LOAD_KEY_SET_QUERIES queries round-robin over them: every query
 *    misses a worker's key cache (bounded in bytes, KEY_CACHE_BYTES) once the sets outnumber it, the
 *    worst case for memory. The service's RSS is sampled every 50 queries and compared with the bound
 *    documented in docs/load.md: RSS after warm-up + WORKERS x (KEY_CACHE_BYTES + 2 loaded key sets).
 * 5. Batch queries (bench/load-phases.ts): LOAD_BATCH_QUERIES queries of card.maxBatch inputs on
 *    the model's batch plan (one is compiled into the temporary copy when the folder has none),
 *    `workers` in flight; inputs per second, latency quantiles, every input checked.
 * Phases 2 and 5 also report where the time goes: the service's CPU (main thread + workers), the
 * workers' HE time, the rest of the service, and this process's CPU (the load generator and client,
 * sharing the cores), with the load average before and after.
 * Results: docs/load.md and docs/load.json. Only 127.0.0.1 is contacted; all loops are bounded.
 *
 *
 * Options (env): LOAD_CONCURRENT (default 200), LOAD_SEQUENTIAL (default 1000), LOAD_KEY_SETS
 * (default 100), LOAD_KEY_SET_QUERIES (default 2000), KEY_CACHE_BYTES (default the
 * service's), LOAD_BATCH_QUERIES (default 4; 0 skips phase 5), WORKERS.
 */
import { spawn } from 'node:child_process'
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { cpus, loadavg, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { PrivinferClient } from '../client/index.ts'
import { preprocessInput } from '../client/preprocess.ts'
import type { CkksContext } from '../core/ckks/context.ts'
import { argmax } from '../core/math/argmax.ts'
import {
  createClientKeys,
  decryptOutput,
  encryptInput,
  type ClientKeys,
  type EncryptedInput,
} from '../core/he/index.ts'
import { galoisKeysBytes, relinKeysBytes } from '../core/wire/sizes.ts'
import { createPlainModel } from '../service/plain/onnx-runtime.ts'
import { loadModelDirectory } from '../service/models/index.ts'
import { loadMnist } from '../training/data/mnist.ts'
import { ensureBatchPlan, runBatchPhase, withCost, type BatchPhase } from './load-phases.ts'
import { freeLoopbackPort } from '../test/support/redis-server.ts'
import { scrape, waitForHealth } from './local-service.ts'
import { renderMarkdown } from './load-report.ts'
import { leastSquaresSlope, quantile, round } from './stats.ts'

const CONCURRENT = Number(process.env.LOAD_CONCURRENT ?? 200)
const SEQUENTIAL = Number(process.env.LOAD_SEQUENTIAL ?? 1000)
const BATCH_QUERIES = Number(process.env.LOAD_BATCH_QUERIES ?? 4)
const KEY_SETS = Number(process.env.LOAD_KEY_SETS ?? 100)
const KEY_SET_QUERIES = Number(process.env.LOAD_KEY_SET_QUERIES ?? 2000)
const KEY_CACHE_BYTES = Number(process.env.KEY_CACHE_BYTES ?? 128 * 2 ** 20)
const RSS_EVERY = 50
const RSS_WARMUP = 100
const DISTINCT_INPUTS = 20

// The bundled default model (mnist-dp) when it loads here, else mnist-mlp.
let modelId: string | undefined
for (const id of ['mnist-dp', 'mnist-mlp']) {
  if (!existsSync(join('models', id, 'card.json'))) continue
  if (
    await loadModelDirectory(join('models', id)).then(
      () => true,
      () => false,
    )
  ) {
    modelId = id
    break
  }
}
if (!modelId) throw new Error('no loadable MNIST model in models/')
const root = await mkdtemp(join(tmpdir(), 'privinfer-load-'))
await cp(join('models', modelId), join(root, 'models', modelId), { recursive: true })
const batchPlanAdded =
  BATCH_QUERIES > 0 &&
  (await ensureBatchPlan(join('models', modelId), join(root, 'models', modelId)))
const workers = Number(process.env.WORKERS ?? cpus().length)
const port = await freeLoopbackPort()
const baseUrl = `http://127.0.0.1:${port}`
const startedAt = new Date()
const child = spawn(process.execPath, ['service/main.ts'], {
  env: {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    MODELS_DIR: join(root, 'models'),
    KEYS_DIR: join(root, 'keys'),
    WORKERS: String(workers),
    RATE_LIMIT_MAX: '0',
    // One client and one key set send every query: no per-key limit, no key quota.
    KEY_RATE_LIMIT_MAX: '0',
    KEY_QUOTA_SETS: '0',
    MAX_QUEUE: String(CONCURRENT + 16),
    KEY_CACHE_BYTES: String(KEY_CACHE_BYTES),
    KEY_STORE_MAX_BYTES: '0',
    LOG_LEVEL: 'warn',
    // As in the Dockerfile: at most 2 glibc malloc arenas, so the threads' freed memory is reused and
    // returned instead of stranding in per-thread arenas (see docs/load.md).
    MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2',
  },
  // The service logs (pino) on stdout; show them on stderr so stdout stays one JSON object.
  stdio: ['ignore', 'pipe', 'inherit'],
})
child.stdout?.pipe(process.stderr)
const childExited = new Promise<number | null>((resolve) =>
  child.once('exit', (code) => resolve(code)),
)
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    child.kill('SIGTERM')
    void rm(root, { recursive: true, force: true }).finally(() => process.exit(130))
  })
}
const loadAverageAtStart = loadavg()[0]

try {
  await Promise.race([
    waitForHealth(baseUrl, 300),
    childExited.then((code) =>
      Promise.reject(new Error(`the service exited during start-up (code ${code})`)),
    ),
  ])
  process.stderr.write(
    `service ready at ${baseUrl} (pid ${child.pid}, ${workers} workers), model ${modelId}\n`,
  )
  const client = await PrivinferClient.create({ baseUrl })
  let ctx: CkksContext | undefined
  let keys: ClientKeys | undefined
  const session = await client.openSession(modelId, {
    keys: (sessionCtx, card) => {
      ctx = sessionCtx
      keys = createClientKeys(sessionCtx, {
        galoisSteps: card.he.galoisSteps,
        relin: card.he.needsRelinKeys,
      })
      return keys
    },
  })
  const card = session.card
  const mnist = loadMnist()
  const rows = Array.from({ length: CONCURRENT }, (_, i) => (i * 37) % mnist.count)
  const raw = rows.map((row) => mnist.inputs.subarray(row * 784, (row + 1) * 784))
  const modelInputs = raw.map((x) =>
    preprocessInput(card.input.preprocessing, x, card.input.rawSize),
  )
  const encrypt = (x: Float64Array): EncryptedInput =>
    encryptInput(ctx!, keys!, card.input.layout, x, { level: card.he.inputLevel })
  const encrypted = modelInputs.map(encrypt)
  const plain = await createPlainModel(
    new Uint8Array(await readFile(join('models', modelId, card.onnxFile))),
  )
  const expected = (await plain.run(modelInputs)).map((logits) => argmax(logits))
  await plain.close()

  // Warm-up: each worker loads the key set once.
  await Promise.all(
    Array.from({ length: workers * 2 }, () =>
      client.api.infer(modelId, session.keyId, encrypted[0]),
    ),
  )

  // ---- 200 concurrent -----------------------------------------------------------------------
  await scrape(baseUrl) // resets the service's event-loop delay histogram
  const lag = monitorEventLoopDelay({ resolution: 10 })
  lag.enable()
  const burstStart = performance.now()
  const { result: settled, cost: burstCost } = await withCost(baseUrl, scrape, () =>
    Promise.allSettled(
      encrypted.map(async (input) => {
        const t0 = performance.now()
        const output = await client.api.infer(modelId, session.keyId, input)
        return { output, ms: performance.now() - t0 }
      }),
    ),
  )
  const burstMs = performance.now() - burstStart
  lag.disable()
  const serviceMetrics = await scrape(baseUrl)
  const failures = settled.filter((result) => result.status === 'rejected')
  const latencies = settled
    .flatMap((result) => (result.status === 'fulfilled' ? [result.value.ms] : []))
    .sort((a, b) => a - b)
  let agree = 0
  settled.forEach((result, i) => {
    if (result.status !== 'fulfilled') return
    const logits = decryptOutput(
      ctx!,
      keys!,
      result.value.output,
      card.output.layout,
      card.he.outputLevel,
    )
    if (argmax(logits) === expected[i]) agree++
  })
  const burst = {
    queries: CONCURRENT,
    failures: failures.length,
    failureCodes: failures.map((f) =>
      String((f as PromiseRejectedResult).reason?.code ?? (f as PromiseRejectedResult).reason),
    ),
    wallSeconds: round(burstMs / 1000, 2),
    throughputPerSecond: round(latencies.length / (burstMs / 1000), 2),
    latencyMs: {
      p50: quantile(latencies, 0.5),
      p90: quantile(latencies, 0.9),
      p99: quantile(latencies, 0.99),
      max: round(latencies.at(-1) ?? 0),
    },
    serviceEventLoopDelayMs: {
      max: round(serviceMetrics.nodejs_eventloop_lag_max_seconds * 1000, 1),
      p99: round(serviceMetrics.nodejs_eventloop_lag_p99_seconds * 1000, 1),
      mean: round(serviceMetrics.nodejs_eventloop_lag_mean_seconds * 1000, 1),
    },
    benchClientEventLoopDelayMs: {
      max: round(lag.max / 1e6, 1),
      p99: round(lag.percentile(99) / 1e6, 1),
    },
    argmaxAgreementWithOnnxruntime: round(agree / CONCURRENT, 4),
    cost: burstCost,
  }
  process.stderr.write(`burst: ${JSON.stringify(burst)}\n`)

  // ---- batch queries ------------------------------------------------------------------------
  let batchPhase: BatchPhase | undefined
  if (BATCH_QUERIES > 0 && card.batch !== undefined) {
    const count = BATCH_QUERIES * card.batch.maxBatch
    const batchRows = Array.from({ length: count }, (_, i) => (i * 37 + 11) % mnist.count)
    const batchInputs = batchRows.map((row) =>
      preprocessInput(
        card.input.preprocessing,
        mnist.inputs.subarray(row * 784, (row + 1) * 784),
        card.input.rawSize,
      ),
    )
    const reference = await createPlainModel(
      new Uint8Array(await readFile(join('models', modelId, card.onnxFile))),
    )
    const batchExpected = (await reference.run(batchInputs)).map((logits) => argmax(logits))
    await reference.close()
    batchPhase = await runBatchPhase({
      url: baseUrl,
      scrape,
      client,
      session,
      card,
      ctx: ctx!,
      keys: keys!,
      modelInputs: batchInputs,
      expected: batchExpected,
      queries: BATCH_QUERIES,
      concurrency: workers,
    })
    process.stderr.write(`batch: ${JSON.stringify(batchPhase)}\n`)
  }

  // ---- 1,000 sequential: RSS ----------------------------------------------------------------
  const samples: Array<{ query: number; rssMb: number; heapUsedMb: number }> = []
  let sequentialFailures = 0
  const sequentialStart = performance.now()
  for (let query = 1; query <= SEQUENTIAL; query++) {
    try {
      await client.api.infer(
        modelId,
        session.keyId,
        encrypted[query % Math.min(DISTINCT_INPUTS, encrypted.length)],
      )
    } catch {
      sequentialFailures++
    }
    if (query % RSS_EVERY === 0) {
      const metrics = await scrape(baseUrl)
      samples.push({
        query,
        rssMb: round(metrics.process_resident_memory_bytes / 2 ** 20, 1),
        heapUsedMb: round(metrics.nodejs_heap_size_used_bytes / 2 ** 20, 1),
      })
      if (query % 200 === 0)
        process.stderr.write(`sequential ${query}/${SEQUENTIAL}: rss ${samples.at(-1)!.rssMb} MB\n`)
    }
  }
  const sequentialMs = performance.now() - sequentialStart
  const steady = samples.filter((sample) => sample.query > RSS_WARMUP)
  const slopeMbPerQuery = leastSquaresSlope(
    steady.map((s) => s.query),
    steady.map((s) => s.rssMb),
  )
  const lastHalf = samples.filter((sample) => sample.query > SEQUENTIAL / 2)
  const lastHalfSlopeMbPerQuery = leastSquaresSlope(
    lastHalf.map((s) => s.query),
    lastHalf.map((s) => s.rssMb),
  )
  const memory = {
    queries: SEQUENTIAL,
    failures: sequentialFailures,
    msPerQuery: round(sequentialMs / SEQUENTIAL, 1),
    rssMbFirst: steady[0]?.rssMb,
    rssMbLast: steady.at(-1)?.rssMb,
    rssMbMax: Math.max(...steady.map((s) => s.rssMb)),
    rssSlopeKbPer100Queries: round(slopeMbPerQuery * 1024 * 100, 1),
    rssSlopeLastHalfKbPer100Queries: round(lastHalfSlopeMbPerQuery * 1024 * 100, 1),
    samples,
  }
  process.stderr.write(`memory: ${JSON.stringify({ ...memory, samples: undefined })}\n`)

  // ---- many key sets: RSS with the key cache bounded in bytes --------------------------------
  const keySetStart = performance.now()
  const keySets: Array<{ keyId: string; input: EncryptedInput }> = []
  for (let k = 0; k < KEY_SETS; k++) {
    const setKeys = createClientKeys(ctx!, {
      galoisSteps: card.he.galoisSteps,
      relin: card.he.needsRelinKeys,
    })
    try {
      const { keyId } = await client.api.uploadKeys(modelId, setKeys.evaluationKeyBundle())
      const input = encryptInput(
        ctx!,
        setKeys,
        card.input.layout,
        modelInputs[k % modelInputs.length],
        {
          level: card.he.inputLevel,
        },
      )
      keySets.push({ keyId, input })
    } finally {
      setKeys.delete()
    }
    if ((k + 1) % 20 === 0) process.stderr.write(`key sets uploaded: ${k + 1}/${KEY_SETS}\n`)
  }
  const uploadSeconds = (performance.now() - keySetStart) / 1000
  const keySetSamples: Array<{ query: number; rssMb: number }> = []
  let keySetFailures = 0
  const keySetQueriesStart = performance.now()
  for (let query = 1; query <= KEY_SET_QUERIES; query++) {
    const { keyId, input } = keySets[query % keySets.length]
    try {
      await client.api.infer(modelId, keyId, input)
    } catch {
      keySetFailures++
    }
    if (query % RSS_EVERY === 0) {
      const metrics = await scrape(baseUrl)
      keySetSamples.push({
        query,
        rssMb: round(metrics.process_resident_memory_bytes / 2 ** 20, 1),
      })
      if (query % 200 === 0)
        process.stderr.write(
          `key-set queries ${query}/${KEY_SET_QUERIES}: rss ${keySetSamples.at(-1)!.rssMb} MB\n`,
        )
    }
  }
  const keySetQueriesMs = performance.now() - keySetQueriesStart
  for (const { keyId } of keySets) await client.api.deleteKeys(keyId)
  // Loaded size of one key set (its full key-switching keys; service/pool/model-engine.ts).
  const params = {
    polyModulusDegree: card.he.polyModulusDegree,
    coeffModulusBits: card.he.coeffModulusBits,
    scaleBits: card.he.scaleBits,
  }
  const loadedKeySetMb =
    (galoisKeysBytes(params, card.he.galoisSteps.length) +
      (card.he.needsRelinKeys ? relinKeysBytes(params) : 0)) /
    2 ** 20
  const baseRssMb = memory.rssMbFirst ?? samples[0]?.rssMb ?? 0
  const rssBoundMb = round(
    baseRssMb + workers * (KEY_CACHE_BYTES / 2 ** 20 + 2 * loadedKeySetMb),
    1,
  )
  const keySetMemory = {
    keySets: keySets.length,
    queries: KEY_SET_QUERIES,
    failures: keySetFailures,
    uploadSeconds: round(uploadSeconds, 1),
    msPerQuery: round(keySetQueriesMs / KEY_SET_QUERIES, 1),
    keyCacheBytes: KEY_CACHE_BYTES,
    loadedKeySetMb: round(loadedKeySetMb, 1),
    rssMbFirst: keySetSamples[0]?.rssMb,
    rssMbLast: keySetSamples.at(-1)?.rssMb,
    rssMbMax: Math.max(...keySetSamples.map((s) => s.rssMb)),
    rssBoundMb,
    withinBound: Math.max(...keySetSamples.map((s) => s.rssMb)) <= rssBoundMb,
    samples: keySetSamples,
  }
  process.stderr.write(`key sets: ${JSON.stringify({ ...keySetMemory, samples: undefined })}\n`)
  // The session owns the context the key sets were made with: closed last.
  await session.close()

  const results = {
    date: startedAt.toISOString(),
    command: 'npm run bench:load',
    machine: {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      memoryGb: round(totalmem() / 2 ** 30, 1),
      // The machine is shared: other jobs' load changes the timings (not the failures or RSS trend).
      loadAverage1mStart: round(loadAverageAtStart, 2),
      loadAverage1mEnd: round(loadavg()[0], 2),
    },
    node: process.version,
    model: modelId,
    polyModulusDegree: card.he.polyModulusDegree,
    workers,
    mallocArenaMax: process.env.MALLOC_ARENA_MAX ?? '2',
    inputBytes: encrypted[0].byteLength,
    burst,
    batch: batchPhase,
    batchPlanAdded,
    memory,
    keySetMemory,
  }
  await writeFile('docs/load.json', JSON.stringify(results, null, 2) + '\n')
  await writeFile(
    'docs/load.md',
    renderMarkdown(results, { rssEvery: RSS_EVERY, rssWarmup: RSS_WARMUP }),
  )
  process.stdout.write(
    JSON.stringify({
      ...results,
      memory: { ...memory, samples: undefined },
      keySetMemory: { ...keySetMemory, samples: undefined },
    }) + '\n',
  )
} finally {
  child.kill('SIGTERM')
  const exitCode = await childExited
  process.stderr.write(`service stopped (exit code ${exitCode})\n`)
  await rm(root, { recursive: true, force: true })
}
