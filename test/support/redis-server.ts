/**
 * A real redis-server (Debian's package, installed by scripts/ensure-system-packages.sh) for tests:
 * started on a free loopback port with its data in a temporary folder, stopped afterwards. Never a
 * mock. Persistence is the append-only file, so a restart keeps the keys (the restart test relies on
 * it).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface TestRedis {
  /** redis://127.0.0.1:<port>/0 */
  readonly url: string
  readonly port: number
  /** Stops the server (SIGTERM, waits for exit); the data stays for `start`. */
  stop(): Promise<void>
  /** Starts it again on the same port with the same data. */
  start(): Promise<void>
  /** Stops it and removes its data. */
  close(): Promise<void>
}

export async function startTestRedis(): Promise<TestRedis> {
  const port = await freeLoopbackPort()
  const dir = await mkdtemp(join(tmpdir(), 'privinfer-redis-'))
  let child: ChildProcess | undefined
  const start = async () => {
    child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--protected-mode',
        'yes',
        '--loglevel',
        'warning',
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    )
    const exited = new Promise<never>((_, reject) =>
      child!.once('exit', (code) => reject(new Error(`redis-server exited with ${code}`))),
    )
    exited.catch(() => undefined)
    await Promise.race([waitForPort(port, 10_000), exited])
  }
  const stop = async () => {
    const running = child
    child = undefined
    if (!running || running.exitCode !== null) return
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()))
    running.kill('SIGTERM')
    await exited
  }
  await start()
  return {
    url: `redis://127.0.0.1:${port}/0`,
    port,
    stop,
    start,
    async close() {
      await stop()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** A free TCP port on 127.0.0.1 (bound, then released). */
export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/** Resolves once a TCP connection to the port succeeds and Redis answers PING. */
async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ port, host: '127.0.0.1' })
      socket.once('connect', () => socket.write('PING\r\n'))
      socket.once('data', (data) => {
        socket.destroy()
        resolve(data.toString().startsWith('+PONG'))
      })
      socket.once('error', () => resolve(false))
    })
    if (ok) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`redis-server did not answer on port ${port} within ${timeoutMs} ms`)
}
