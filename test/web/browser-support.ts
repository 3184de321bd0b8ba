/**
 * Helpers of the browser test: the service as `npm start` runs it (a child process in its own process
 * group, on a free loopback port), Debian's Chromium through playwright-core, a plain static server
 * for the page on another origin, and a multipart/form-data reader for the recorded requests.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createReadStream } from 'node:fs'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { createServer as createHttpServer, type Server } from 'node:http'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { extname, join, normalize } from 'node:path'
import { chromium, type BrowserContext } from 'playwright-core'

export const CHROMIUM = '/usr/bin/chromium'
/** No sandbox (root in CI), no GPU, and nothing that talks to the network by itself. */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

export async function freePort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done))
  const { port } = probe.address() as { port: number }
  await new Promise((done) => probe.close(done))
  return port
}

export interface NpmStartService {
  url: string
  keysDir: string
  /** stdout + stderr so far (for failure messages). */
  output(): string
  stop(): Promise<void>
}

/**
 * `npm start` (prestart builds the page when stale) with PORT on a free loopback port and a fresh
 * KEYS_DIR; every other setting is the default unless `env` says otherwise. Resolves when
 * GET /v1/health answers 200.
 */
export async function startNpmService(env: Record<string, string> = {}): Promise<NpmStartService> {
  const port = await freePort()
  const keysDir = await mkdtemp(join(tmpdir(), 'privinfer-browser-keys-'))
  const child: ChildProcess = spawn('npm', ['start'], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', KEYS_DIR: keysDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  let output = ''
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const url = `http://127.0.0.1:${port}`
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((done) => child.once('exit', done))
      try {
        process.kill(-child.pid!, 'SIGTERM')
      } catch {
        // Already gone.
      }
      await Promise.race([exited, new Promise((done) => setTimeout(done, 20_000))])
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL')
    }
    await rm(keysDir, { recursive: true, force: true })
  }
  const deadline = Date.now() + 240_000
  for (;;) {
    if (child.exitCode !== null) {
      await stop()
      throw new Error(`npm start exited with ${child.exitCode}:\n${output}`)
    }
    const healthy = await fetch(`${url}/v1/health`).then(
      (response) => response.ok,
      () => false,
    )
    if (healthy) break
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`npm start did not become ready in 240 s:\n${output}`)
    }
    await new Promise((done) => setTimeout(done, 500))
  }
  return { url, keysDir, output: () => output, stop }
}

/** A Chromium with a fresh profile folder (removed by close). */
export async function launchChromium(): Promise<{
  context: BrowserContext
  close(): Promise<void>
}> {
  const profile = await mkdtemp(join(tmpdir(), 'privinfer-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1100, height: 900 },
  })
  return {
    context,
    async close() {
      await context.close()
      await rm(profile, { recursive: true, force: true })
    },
  }
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
}

/** Serves the files of `dir` at http://127.0.0.1:<port>/ (another origin than the service). */
export async function startStaticServer(
  dir: string,
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createHttpServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname))
    const file = join(dir, path === '/' ? 'index.html' : path)
    if (
      !file.startsWith(dir) ||
      !(await stat(file).then(
        (info) => info.isFile(),
        () => false,
      ))
    ) {
      res.writeHead(404).end()
      return
    }
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' })
    createReadStream(file).pipe(res)
  })
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  const { port } = server.address() as { port: number }
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((done) => server.close(() => done())),
  }
}

export interface MultipartPart {
  name: string
  filename?: string
  data: Buffer
}

/** Reads a multipart/form-data body (RFC 7578) into its parts. */
export function parseMultipart(body: Buffer, contentType: string): MultipartPart[] {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType)
  if (!boundary) throw new Error(`no boundary in ${contentType}`)
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`)
  const parts: MultipartPart[] = []
  let start = body.indexOf(delimiter)
  while (start >= 0) {
    const next = body.indexOf(delimiter, start + delimiter.length)
    if (next < 0) break
    const chunk = body.subarray(start + delimiter.length + 2, next - 2) // CRLF after, CRLF before
    const headerEnd = chunk.indexOf('\r\n\r\n')
    const headers = chunk.subarray(0, headerEnd).toString('utf8')
    const disposition = /content-disposition:[^\r\n]*/i.exec(headers)?.[0] ?? ''
    parts.push({
      name: /name="([^"]*)"/.exec(disposition)?.[1] ?? '',
      filename: /filename="([^"]*)"/.exec(disposition)?.[1],
      data: Buffer.from(chunk.subarray(headerEnd + 4)),
    })
    start = next
  }
  return parts
}
