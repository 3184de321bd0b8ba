/**
 * Parts of `npm run bench:load` (bench/load.ts) about throughput: where the time of a query goes
 * (server vs client, HE vs the rest of the service), batch queries through the service, and the
 * preparation of a model folder with a batch plan.
 */
import { readFile } from 'node:fs/promises'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import type { PrivinferClient, PrivinferSession } from '../client/index.ts'
import type { ModelCard } from '../core/card.ts'
import type { CkksContext } from '../core/ckks/context.ts'
import type { ClientKeys } from '../core/he/index.ts'
import { decryptBatch, encryptBatch, outputCiphertextsOf } from '../core/he/encrypt-batch.ts'
import { argmax } from '../core/math/argmax.ts'
import { compileModel } from '../service/compiler/compile.ts'
import { withCompiledFields } from '../service/models/he-card.ts'
import { loadModelDirectory, writeModelDirectory } from '../service/models/index.ts'
import { quantile, round } from './stats.ts'

/** Metric values the cost accounting reads from the service's /metrics. */
export type Scrape = (url: string) => Promise<Record<string, number>>

export interface PhaseCost {
  wallSeconds: number
  /** CPU seconds of the whole service process (main thread + workers), from process_cpu_seconds_total. */
  serviceCpuSeconds: number
  /** CPU seconds of the HE worker threads in their engines (validation, plan, serialization). */
  workerHeSeconds: number
  /** Their busy wall time (includes being descheduled on a loaded machine). */
  workerBusyWallSeconds: number
  /** The rest of the service's CPU: HTTP, multipart, key store, messages, key loading. */
  serviceOtherCpuSeconds: number
  /** CPU seconds of this (client / load generator) process. */
  clientCpuSeconds: number
  loadAverage1m: { start: number; end: number }
}

/** Runs `phase` and accounts for the CPU time of the service and of this process meanwhile. */
export async function withCost<T>(
  url: string,
  scrape: Scrape,
  phase: () => Promise<T>,
): Promise<{ result: T; cost: PhaseCost }> {
  const loadStart = loadavg()[0]
  const before = await scrape(url)
  const cpuBefore = process.cpuUsage()
  const started = performance.now()
  const result = await phase()
  const wallSeconds = (performance.now() - started) / 1000
  const cpu = process.cpuUsage(cpuBefore)
  const after = await scrape(url)
  const serviceCpuSeconds = after.process_cpu_seconds_total - before.process_cpu_seconds_total
  // CPU time, not the workers' busy wall time: on a loaded machine that also counts the time
  // other processes hold the cores (at load 18 it was 5x the service's whole CPU time).
  const workerHeSeconds =
    after.privinfer_worker_cpu_seconds_total - before.privinfer_worker_cpu_seconds_total
  const workerBusySeconds =
    after.privinfer_worker_busy_seconds_total - before.privinfer_worker_busy_seconds_total
  return {
    result,
    cost: {
      wallSeconds: round(wallSeconds, 2),
      serviceCpuSeconds: round(serviceCpuSeconds, 2),
      workerHeSeconds: round(workerHeSeconds, 2),
      workerBusyWallSeconds: round(workerBusySeconds, 2),
      serviceOtherCpuSeconds: round(serviceCpuSeconds - workerHeSeconds, 2),
      clientCpuSeconds: round((cpu.user + cpu.system) / 1e6, 2),
      loadAverage1m: { start: round(loadStart, 2), end: round(loadavg()[0], 2) },
    },
  }
}

/**
 * A copy of the model folder with a features batch plan of N/2 inputs per query when the folder
 * has none (same parameters, same single plan): bench:load measures batch queries on it.
 * @returns whether a batch plan was added.
 */
export async function ensureBatchPlan(sourceDir: string, targetDir: string): Promise<boolean> {
  const { card, compiled } = await loadModelDirectory(sourceDir)
  if (compiled.batch !== undefined) return false
  const onnxBytes = new Uint8Array(await readFile(join(sourceDir, card.onnxFile)))
  const withBatch = compileModel(onnxBytes, {
    ...compiled.options,
    parameters: compiled.parameters,
    batch: compiled.parameters.polyModulusDegree / 2,
    packing: 'features',
  })
  withBatch.reasons = [...compiled.reasons, ...(withBatch.batch?.reasons ?? [])]
  const batchCard = withCompiledFields(card, withBatch, card.he.encryptionParametersBase64)
  await writeModelDirectory(targetDir, { onnxBytes, card: batchCard, compiled: withBatch })
  return true
}

export interface BatchPhase {
  queries: number
  inputsPerQuery: number
  concurrency: number
  failures: number
  failureCodes: string[]
  wallSeconds: number
  inputsPerSecond: number
  latencyMs: { p50: number; p99: number; max: number }
  /** Client time to pack, encrypt and serialize one query (before the timed phase). */
  clientEncryptMsPerQuery: number
  /** Client time to load and decrypt one query's results (after the timed phase). */
  clientDecryptMsPerQuery: number
  inputBytesPerQuery: number
  outputBytesPerQuery: number
  argmaxAgreementWithOnnxruntime: number
  cost: PhaseCost
}

/**
 * `queries` batch queries of `inputs.length / queries` inputs each, encrypted beforehand, sent with
 * at most `concurrency` in flight; every result decrypted afterwards and compared with `expected`
 * (onnxruntime's argmax per input).
 */
export async function runBatchPhase(options: {
  url: string
  scrape: Scrape
  client: PrivinferClient
  session: PrivinferSession
  card: ModelCard
  ctx: CkksContext
  keys: ClientKeys
  modelInputs: Float64Array[]
  expected: number[]
  queries: number
  concurrency: number
}): Promise<BatchPhase> {
  const { card, ctx, keys, modelInputs, expected, queries } = options
  const batch = card.batch
  if (batch === undefined) throw new Error(`${card.id} has no batch plan`)
  const perQuery = Math.min(batch.maxBatch, Math.floor(modelInputs.length / queries))
  const chunks = Array.from({ length: queries }, (_, q) =>
    modelInputs.slice(q * perQuery, (q + 1) * perQuery),
  )
  let started = performance.now()
  const encrypted = chunks.map((chunk) => encryptBatch(ctx, keys, batch, chunk))
  const clientEncryptMsPerQuery = (performance.now() - started) / queries
  const latencies: number[] = []
  const outputs: Array<Uint8Array[] | undefined> = new Array(queries)
  const failureCodes: string[] = []
  const { result: _done, cost } = await withCost(options.url, options.scrape, async () => {
    let next = 0
    const lane = async () => {
      while (next < queries) {
        const index = next++
        const t0 = performance.now()
        try {
          outputs[index] = await options.client.api.inferBatch(
            card.id,
            options.session.keyId,
            batch,
            encrypted[index],
            outputCiphertextsOf(batch),
          )
          latencies.push(performance.now() - t0)
        } catch (error) {
          failureCodes.push(String((error as { code?: string }).code ?? error))
        }
      }
    }
    await Promise.all(Array.from({ length: options.concurrency }, lane))
  })
  started = performance.now()
  let agree = 0
  outputs.forEach((results, q) => {
    if (results === undefined) return
    decryptBatch(ctx, keys, batch, results, chunks[q].length).forEach((logits, k) => {
      if (argmax(logits) === expected[q * perQuery + k]) agree++
    })
  })
  const clientDecryptMsPerQuery = (performance.now() - started) / queries
  latencies.sort((a, b) => a - b)
  const answered = outputs.filter((o) => o !== undefined).length
  return {
    queries,
    inputsPerQuery: perQuery,
    concurrency: options.concurrency,
    failures: failureCodes.length,
    failureCodes,
    wallSeconds: cost.wallSeconds,
    inputsPerSecond: round((answered * perQuery) / cost.wallSeconds, 1),
    latencyMs: {
      p50: quantile(latencies, 0.5),
      p99: quantile(latencies, 0.99),
      max: round(latencies.at(-1) ?? 0),
    },
    clientEncryptMsPerQuery: round(clientEncryptMsPerQuery),
    clientDecryptMsPerQuery: round(clientDecryptMsPerQuery),
    inputBytesPerQuery: encrypted[0].reduce((sum, bytes) => sum + bytes.length, 0),
    outputBytesPerQuery: (outputs.find((o) => o !== undefined) ?? []).reduce(
      (sum, bytes) => sum + bytes.length,
      0,
    ),
    argmaxAgreementWithOnnxruntime: round(agree / (queries * perQuery), 4),
    cost,
  }
}
