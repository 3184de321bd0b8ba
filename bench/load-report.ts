/** docs/load.md from the figures bench/load.ts measured (docs/load.json). */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function renderMarkdown(r: any, sampling: { rssEvery: number; rssWarmup: number }): string {
  const { rssEvery: RSS_EVERY, rssWarmup: RSS_WARMUP } = sampling
  const b = r.burst
  const m = r.memory
  const k = r.keySetMemory
  return `# Load test of the service

Command: \`${r.command}\` (bench/load.ts) on ${r.date.slice(0, 10)}. Machine: ${r.machine.cpu}, ${r.machine.cores} cores,
${r.machine.memoryGb} GB, shared with other jobs (1-minute load average ${r.machine.loadAverage1mStart} at the start,
${r.machine.loadAverage1mEnd} at the end: timings are slower than on an idle machine); Node ${r.node}; node-seal 7 (SEAL 4.1). Model \`${r.model}\` (N = ${r.polyModulusDegree}),
${r.workers} worker threads, MALLOC_ARENA_MAX=${r.mallocArenaMax}; input ciphertext ${(r.inputBytes / 1024).toFixed(0)} KB as sent (seed-compressed, zstd).
The service runs as its own process (\`node service/main.ts\`) on 127.0.0.1; the benchmark process encrypts the
inputs before the timed phases and sends them. The event-loop delay is the service's (perf_hooks
monitorEventLoopDelay in the service, 10 ms resolution, read from its /metrics); RSS is the service process's
(main thread and worker threads).

## ${b.queries} concurrent encrypted queries

| queries | failures | wall s | throughput /s | latency p50 / p90 / p99 / max ms | service event-loop delay max / p99 / mean ms | argmax = onnxruntime |
|---|---|---|---|---|---|---|
| ${b.queries} | ${b.failures} | ${b.wallSeconds} | ${b.throughputPerSecond} | ${b.latencyMs.p50} / ${b.latencyMs.p90} / ${b.latencyMs.p99} / ${b.latencyMs.max} | ${b.serviceEventLoopDelayMs.max} / ${b.serviceEventLoopDelayMs.p99} / ${b.serviceEventLoopDelayMs.mean} | ${(100 * b.argmaxAgreementWithOnnxruntime).toFixed(1)}% |

All HE work runs in the worker threads; the service's event loop parses the multipart uploads, checks key ids
and moves buffers. Its mean delay stays near the 10 ms timer resolution while ${b.queries} queries wait in the pool's
queue. The worst single turn (max) also reflects that the main thread shares the 2 cores with the 2 busy worker
threads and with other jobs on this machine, and that ${b.queries} uploads of ${Math.round(r.inputBytes / 1024)} KB arrive at once
at the start of the burst. WORKERS = cores - 1 leaves a core to the event loop at some cost in throughput.

${costSection(r)}
${batchSection(r)}
## RSS over ${m.queries} sequential queries

| queries | failures | ms / query | RSS after warm-up | RSS at the end | max | slope after ${RSS_WARMUP} queries | slope over the last half |
|---|---|---|---|---|---|---|---|
| ${m.queries} | ${m.failures} | ${m.msPerQuery} | ${m.rssMbFirst} MB | ${m.rssMbLast} MB | ${m.rssMbMax} MB | ${m.rssSlopeKbPer100Queries} KB / 100 queries | ${m.rssSlopeLastHalfKbPer100Queries} KB / 100 queries |

RSS samples (every ${RSS_EVERY} queries, MB): ${m.samples.map((s: { rssMb: number }) => s.rssMb).join(', ')}.

## RSS over ${k.keySets} distinct key sets and ${k.queries} queries

Each query uses the next of ${k.keySets} key sets in turn (uploaded beforehand in ${k.uploadSeconds} s), so once the sets
outnumber a worker's key cache (KEY_CACHE_BYTES = ${(k.keyCacheBytes / 2 ** 20).toFixed(0)} MiB per worker; one loaded key set is
${k.loadedKeySetMb} MB) almost every query loads its keys from the key store: the worst case for memory. The bound is
RSS after warm-up + WORKERS x (KEY_CACHE_BYTES + 2 loaded key sets): the cached sets, one being loaded and one
being validated per worker.

| key sets | queries | failures | ms / query | RSS first | RSS at the end | max | documented bound | within |
|---|---|---|---|---|---|---|---|---|
| ${k.keySets} | ${k.queries} | ${k.failures} | ${k.msPerQuery} | ${k.rssMbFirst} MB | ${k.rssMbLast} MB | ${k.rssMbMax} MB | ${k.rssBoundMb} MB | ${k.withinBound ? 'yes' : 'NO'} |

RSS samples (every ${RSS_EVERY} queries, MB): ${k.samples.map((s: { rssMb: number }) => s.rssMb).join(', ')}.

Raw figures: docs/load.json.
`
}

/** Where the time goes: server-side and client-side CPU per query, with the load averages. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function costSection(r: any): string {
  const ms = (seconds: number, count: number) => ((seconds * 1000) / count).toFixed(1)
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const row = (name: string, count: number, c: any) =>
    `| ${name} | ${ms(c.wallSeconds, count)} | ${ms(c.serviceCpuSeconds, count)} | ${ms(c.workerHeSeconds, count)} | ${ms(c.serviceOtherCpuSeconds, count)} | ${ms(c.clientCpuSeconds, count)} | ${c.loadAverage1m.start} → ${c.loadAverage1m.end} |`
  const rows = [
    row(`${r.burst.queries} concurrent single queries, per query`, r.burst.queries, r.burst.cost),
  ]
  if (r.batch) {
    rows.push(
      row(
        `${r.batch.queries} batch queries, per input`,
        r.batch.queries * r.batch.inputsPerQuery,
        r.batch.cost,
      ),
    )
  }
  return `## Where the time goes

Milliseconds per query (or per input), from the service's process CPU time (process_cpu_seconds_total:
main thread and worker threads), the workers' own engine time (privinfer_worker_busy_seconds_total:
ciphertext validation, the plan, serialization), and this process's CPU (process.cpuUsage: the load
generator and the client library: HTTP client, multipart, decryption is after the timed phases).
"Service other" is the service CPU that is not engine time: HTTP parsing, multipart, key store reads,
messages to and from the workers, key loading.

| phase | wall ms | service CPU ms | workers' HE ms | service other CPU ms | client CPU ms | load average 1 min |
|---|---|---|---|---|---|---|
${rows.join('\n')}
`
}

/** The batch phase's table. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function batchSection(r: any): string {
  const b = r.batch
  if (!b) return ''
  return `## Batch queries (${b.queries} queries of ${b.inputsPerQuery} inputs, ${b.concurrency} in flight)

${r.batchPlanAdded ? 'The model folder had no batch plan: the bench compiled a features batch plan (same parameters and keys) into its temporary copy.\n' : ''}
| inputs | failures | wall s | inputs/s | query latency p50 / p99 / max ms | client encrypt / decrypt ms per query | upload / answer per query | argmax = onnxruntime |
|---|---|---|---|---|---|---|---|
| ${b.queries * b.inputsPerQuery} | ${b.failures} | ${b.wallSeconds} | ${b.inputsPerSecond} | ${b.latencyMs.p50} / ${b.latencyMs.p99} / ${b.latencyMs.max} | ${b.clientEncryptMsPerQuery} / ${b.clientDecryptMsPerQuery} | ${(b.inputBytesPerQuery / 2 ** 20).toFixed(1)} MB / ${(b.outputBytesPerQuery / 2 ** 20).toFixed(2)} MB | ${(100 * b.argmaxAgreementWithOnnxruntime).toFixed(2)}% |

Client encryption happens before the timed phase and decryption after it (their times are listed);
the throughput is the service's, with the load generator sending on the same machine.
`
}
