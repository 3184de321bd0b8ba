/**
 * `npm run bench:scale-out`: three stateless replicas behind a real load balancer (Debian's nginx) on
 * loopback, sharing one redis-server as the key store; one replica is killed (SIGKILL) in the middle
 * of the run and restarted. A benchmark, not a test: it measures throughput per phase and counts
 * failed queries (the claim is 0: nginx resends a query whose replica died to another one, and the
 * client library retries what still fails).
 *
 * 1. Installs nginx when missing (scripts/ensure-system-packages.sh --bench, as pretest does for the
 *    tests), starts redis-server and 3 replicas (`node service/main.ts`, WORKERS=1 each,
 *    KEY_STORE=redis://...) on free loopback ports, and nginx in front of them.
 * 2. CLIENTS sessions (PrivinferClient through nginx) each send encrypted queries in a closed loop.
 *    Phases: `3 replicas` for PHASE_SECONDS, then replica 2 gets SIGKILL (`2 replicas`), after
 *    PHASE_SECONDS it is started again and the phase `restarting` lasts until it is healthy, then
 *    `3 replicas again` for PHASE_SECONDS.
 * 3. Every result is decrypted and its argmax compared with onnxruntime's; every HTTP attempt is
 *    counted (the client's fetch is wrapped), so retries are visible.
 * Results: bench/results/scale-out.json and the marked section of docs/scale-out.md. Only loopback
 * addresses are contacted; the run is bounded in time (MAX_SECONDS) and queries (MAX_QUERIES).
 *
 * Options (env): SCALE_CLIENTS (default 4), SCALE_PHASE_SECONDS (default 20), SCALE_MODEL (default
 * mnist-dp, the model a default deployment serves; a NON-PRIVATE one is served with
 * SERVE_NON_PRIVATE_MODELS=true).
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { cpus, loadavg, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { PrivinferClient, type PrivinferSession } from '../client/index.ts'
import { preprocessInput } from '../client/preprocess.ts'
import { argmax } from '../core/math/argmax.ts'
import { createPlainModel } from '../service/plain/onnx-runtime.ts'
import { loadMnist } from '../training/data/mnist.ts'
import { freeLoopbackPort, startTestRedis } from '../test/support/redis-server.ts'
import { round } from './stats.ts'

const CLIENTS = Number(process.env.SCALE_CLIENTS ?? 4)
const PHASE_SECONDS = Number(process.env.SCALE_PHASE_SECONDS ?? 20)
const MODEL = process.env.SCALE_MODEL ?? 'mnist-dp'
const REPLICAS = 3
const KILLED = 1 // index of the replica that is killed and restarted (the second one)
const MAX_SECONDS = 300
const MAX_QUERIES = 5000
const DISTINCT_INPUTS = 16
const TOKEN = 'scale-out-bench-token-0123456789'

execFileSync('bash', ['scripts/ensure-system-packages.sh', '--bench'], { stdio: 'inherit' })
if (!existsSync(join('models', MODEL, 'card.json'))) throw new Error(`no model ${MODEL}`)

const root = await mkdtemp(join(tmpdir(), 'privinfer-scale-'))
await cp(join('models', MODEL), join(root, 'models', MODEL), { recursive: true })
const nonPrivate = JSON.parse(await readFile(join('models', MODEL, 'card.json'), 'utf8')).nonPrivate

const startedAt = new Date()
const loadAverageAtStart = loadavg()
const children = new Set<ChildProcess>()
const redis = await startTestRedis()

interface Replica {
  port: number
  child: ChildProcess | undefined
}
const replicas: Replica[] = []
for (let i = 0; i < REPLICAS; i++)
  replicas.push({ port: await freeLoopbackPort(), child: undefined })

function startReplica(replica: Replica): void {
  const child = spawn(process.execPath, ['service/main.ts'], {
    env: {
      ...process.env,
      PORT: String(replica.port),
      HOST: '127.0.0.1',
      MODELS_DIR: join(root, 'models'),
      KEYS_DIR: join(root, `keys-${replica.port}`),
      KEY_STORE: redis.url,
      AUTH_TOKEN: TOKEN,
      // nginx is the one proxy in front: its X-Forwarded-For names the client.
      TRUST_PROXY: '1',
      WORKERS: '1',
      LOG_LEVEL: 'warn',
      MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2',
      ...(nonPrivate === true ? { SERVE_NON_PRIVATE_MODELS: 'true' } : {}),
      // The run measures fail-over, not the abuse limits: the clients share one token, and the
      // served model answers in tens of milliseconds, past 600 requests a minute.
      RATE_LIMIT_MAX: '0',
      KEY_RATE_LIMIT_MAX: '0',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  children.add(child)
  child.once('exit', () => children.delete(child))
  replica.child = child
}

async function isHealthy(port: number): Promise<boolean> {
  return fetch(`http://127.0.0.1:${port}/v1/health`).then(
    (response) => response.ok,
    () => false,
  )
}

async function waitHealthy(replica: Replica, seconds: number): Promise<void> {
  const { port } = replica
  const deadline = Date.now() + seconds * 1000
  while (Date.now() < deadline) {
    if (await isHealthy(port)) return
    const code = replica.child?.exitCode
    if (code !== null && code !== undefined)
      throw new Error(`replica on port ${port} exited with code ${code} before it was healthy`)
    await sleep(250)
  }
  throw new Error(`replica on port ${port} not healthy within ${seconds} s`)
}

/** nginx on loopback with the proxy settings of deploy/nginx/nginx.conf. */
async function startNginx(listenPort: number): Promise<ChildProcess> {
  const dir = join(root, 'nginx')
  for (const sub of ['', 'body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) {
    await mkdir(join(dir, sub), { recursive: true })
    // nginx's workers may run as another user (nobody when started as root).
    await chmod(join(dir, sub), 0o777)
  }
  const servers = replicas
    .map((replica) => `    server 127.0.0.1:${replica.port} max_fails=1 fail_timeout=2s;`)
    .join('\n')
  const conf = `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 512; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream privinfer {
${servers}
    keepalive 16;
  }
  server {
    listen 127.0.0.1:${listenPort};
    client_max_body_size 64m;
    client_body_buffer_size 16m;
    proxy_http_version 1.1;
    proxy_set_header Connection '';
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_read_timeout 120s;
    proxy_next_upstream error timeout http_502 http_503;
    proxy_next_upstream_tries 3;
    location ~ ^/v1/models/[^/]+/infer$ {
      proxy_next_upstream error timeout http_502 http_503 non_idempotent;
      proxy_pass http://privinfer;
    }
    location / {
      proxy_pass http://privinfer;
    }
  }
}
`
  await writeFile(join(dir, 'nginx.conf'), conf)
  const child = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')], {
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  children.add(child)
  child.once('exit', () => children.delete(child))
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline) {
    const up = await fetch(`http://127.0.0.1:${listenPort}/v1/health`).then(
      () => true,
      () => false,
    )
    if (up) return child
    await sleep(100)
  }
  throw new Error('nginx did not start')
}

function stopAll(): void {
  // SIGTERM, not SIGKILL: nginx's master then stops its worker processes too (a killed master
  // leaves them running).
  for (const child of children) child.kill('SIGTERM')
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    stopAll()
    void redis.close().finally(() => process.exit(130))
  })
}

interface QueryRecord {
  client: number
  startMs: number
  endMs: number
  ok: boolean
  correct: boolean
  error?: string
}

try {
  for (const replica of replicas) startReplica(replica)
  await Promise.all(replicas.map((replica) => waitHealthy(replica, 300)))
  const lbPort = await freeLoopbackPort()
  await startNginx(lbPort)
  const baseUrl = `http://127.0.0.1:${lbPort}`
  process.stderr.write(`3 replicas ready behind nginx at ${baseUrl}; model ${MODEL}\n`)

  // Every HTTP attempt the clients make, to show the retries.
  const attempts = { total: 0, failedAttempts: 0, statuses: {} as Record<string, number> }
  const countingFetch: typeof fetch = async (input, init) => {
    attempts.total++
    try {
      const response = await fetch(input, init)
      if (!response.ok) {
        attempts.failedAttempts++
        attempts.statuses[response.status] = (attempts.statuses[response.status] ?? 0) + 1
      }
      return response
    } catch (error) {
      attempts.failedAttempts++
      attempts.statuses.network = (attempts.statuses.network ?? 0) + 1
      throw error
    }
  }

  const mnist = loadMnist()
  const rows = Array.from({ length: DISTINCT_INPUTS }, (_, i) => (i * 613) % mnist.count)
  const sessions: PrivinferSession[] = []
  for (let c = 0; c < CLIENTS; c++) {
    const client = await PrivinferClient.create({ baseUrl, token: TOKEN, fetch: countingFetch })
    sessions.push(await client.openSession(MODEL))
  }
  const card = sessions[0].card
  const raw = rows.map((row) => mnist.inputs.subarray(row * 784, (row + 1) * 784))
  const plain = await createPlainModel(
    new Uint8Array(await readFile(join('models', MODEL, card.onnxFile))),
  )
  const expected = (
    await plain.run(
      raw.map((x) => preprocessInput(card.input.preprocessing, x, card.input.rawSize)),
    )
  ).map((logits) => argmax(logits))
  await plain.close()

  const records: QueryRecord[] = []
  const t0 = performance.now()
  const now = () => performance.now() - t0
  const phases: Array<{ name: string; startMs: number; endMs: number }> = []
  let stop = false

  const loops = sessions.map(async (session, c) => {
    let i = c
    while (!stop && records.length < MAX_QUERIES && now() < MAX_SECONDS * 1000) {
      const index = i++ % DISTINCT_INPUTS
      const startMs = now()
      try {
        const prediction = await session.infer(raw[index])
        records.push({
          client: c,
          startMs,
          endMs: now(),
          ok: true,
          correct: prediction.label === expected[index],
        })
      } catch (error) {
        records.push({
          client: c,
          startMs,
          endMs: now(),
          ok: false,
          correct: false,
          error: String((error as { code?: string }).code ?? error),
        })
      }
    }
  })

  const phase = async (name: string, action: () => Promise<void>) => {
    const startMs = now()
    await action()
    phases.push({ name, startMs, endMs: now() })
    process.stderr.write(
      `${name}: ${((now() - startMs) / 1000).toFixed(1)} s, ${records.length} queries so far\n`,
    )
  }
  await phase('3 replicas', () => sleep(PHASE_SECONDS * 1000))
  const killed = replicas[KILLED]
  killed.child?.kill('SIGKILL')
  await phase('2 replicas (one killed)', () => sleep(PHASE_SECONDS * 1000))
  startReplica(killed)
  await phase('restarting (2 serving)', () => waitHealthy(killed, 300))
  await phase('3 replicas again', () => sleep(PHASE_SECONDS * 1000))
  stop = true
  await Promise.all(loops)
  for (const session of sessions) await session.close()

  const phaseResults = phases.map(({ name, startMs, endMs }) => {
    const done = records.filter((r) => r.endMs >= startMs && r.endMs < endMs)
    const latencies = done
      .filter((r) => r.ok)
      .map((r) => r.endMs - r.startMs)
      .sort((a, b) => a - b)
    return {
      phase: name,
      seconds: round((endMs - startMs) / 1000, 1),
      queries: done.length,
      failures: done.filter((r) => !r.ok).length,
      throughputPerSecond: round(done.length / ((endMs - startMs) / 1000), 2),
      latencyMsP50: round(latencies[Math.floor(latencies.length / 2)] ?? 0),
      latencyMsMax: round(latencies.at(-1) ?? 0),
    }
  })
  const failures = records.filter((r) => !r.ok)
  // nginx logs each upstream failure it hid by passing the request to another replica.
  const nginxLog = await readFile(join(root, 'nginx', 'error.log'), 'utf8').catch(() => '')
  const nginxUpstreamErrors = nginxLog
    .split('\n')
    .filter((line) => /upstream|connect\(\) failed/.test(line)).length
  const results = {
    date: startedAt.toISOString(),
    command: 'npm run bench:scale-out',
    machine: {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      memoryGb: round(totalmem() / 2 ** 30, 1),
      loadAverageStart: loadAverageAtStart.map((value) => round(value, 2)),
      loadAverageEnd: loadavg().map((value) => round(value, 2)),
    },
    node: process.version,
    // nginx -v prints to stderr.
    nginx: spawnSync('nginx', ['-v'], { encoding: 'utf8' }).stderr.trim(),
    redis: execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).trim(),
    model: MODEL,
    replicas: REPLICAS,
    workersPerReplica: 1,
    clients: CLIENTS,
    queries: records.length,
    failedQueries: failures.length,
    failureCodes: failures.map((r) => r.error),
    wrongLabels: records.filter((r) => r.ok && !r.correct).length,
    httpAttempts: attempts,
    nginxUpstreamErrors,
    phases: phaseResults,
  }
  await mkdir('bench/results', { recursive: true })
  await writeFile('bench/results/scale-out.json', JSON.stringify(results, null, 2) + '\n')
  await writeResultsSection('docs/scale-out.md', renderMarkdown(results))
  process.stdout.write(JSON.stringify(results) + '\n')
} finally {
  stopAll()
  await redis.close()
  await rm(root, { recursive: true, force: true })
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Replaces the text between the bench markers of `path` (the rest is written by hand). */
async function writeResultsSection(path: string, section: string): Promise<void> {
  const begin = '<!-- bench:scale-out begin -->'
  const end = '<!-- bench:scale-out end -->'
  const text = await readFile(path, 'utf8')
  const from = text.indexOf(begin)
  const to = text.indexOf(end)
  if (from < 0 || to < from) throw new Error(`${path} has no ${begin} ... ${end} section`)
  await writeFile(path, `${text.slice(0, from + begin.length)}\n${section}\n${text.slice(to)}`)
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function renderMarkdown(r: any): string {
  const rows = r.phases
    .map(
      (p: Record<string, number | string>) =>
        `| ${p.phase} | ${p.seconds} | ${p.queries} | ${p.failures} | ${p.throughputPerSecond} | ${p.latencyMsP50} / ${p.latencyMsMax} |`,
    )
    .join('\n')
  const statuses = Object.entries(r.httpAttempts.statuses as Record<string, number>)
    .map(([status, count]) => `${status}: ${count}`)
    .join(', ')
  return `Command: \`${r.command}\` (bench/scale-out.ts) on ${r.date.slice(0, 10)}. Machine: ${r.machine.cpu},
${r.machine.cores} cores, ${r.machine.memoryGb} GB; load average (1, 5, 15 min) ${r.machine.loadAverageStart.join(', ')} at the
start and ${r.machine.loadAverageEnd.join(', ')} at the end (the machine is shared: throughput is lower than on an idle one).
Node ${r.node}, ${r.nginx}, ${r.redis.split(' ').slice(0, 3).join(' ')}. Model \`${r.model}\`; ${r.replicas} replicas with
${r.workersPerReplica} worker thread each, on loopback behind nginx; ${r.clients} client sessions sending encrypted queries in a closed loop.
Replica 2 gets SIGKILL at the end of the first phase and is started again after the second.

| phase | s | queries | failed | queries / s | latency p50 / max ms |
| ----- | - | ------- | ------ | ----------- | -------------------- |
${rows}

**${r.queries} queries, ${r.failedQueries} failed**, ${r.wrongLabels} labels different from onnxruntime. HTTP attempts by the
clients: ${r.httpAttempts.total}, of which ${r.httpAttempts.failedAttempts} did not succeed${statuses ? ` (${statuses})` : ''} and were retried
by the client library; nginx logged ${r.nginxUpstreamErrors} upstream errors (a connection refused or closed by the killed
replica), each answered by passing the request to another replica. Raw figures: bench/results/scale-out.json.`
}
