/**
 * `privinfer serve` runs what `npm start` runs: the service as a child process whose environment has
 * MALLOC_ARENA_MAX=2 (glibc reads it at process start), the demo page at `/`, and a graceful stop on
 * SIGTERM (forwarded to the service).
 */
import { spawn } from 'node:child_process'
import { cp, mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort } from '../web/browser-support.ts'

/** The process ids of `pid`'s children (Linux /proc). */
async function childrenOf(pid: number): Promise<number[]> {
  const tasks = await readdir(`/proc/${pid}/task`)
  const children: number[] = []
  for (const task of tasks) {
    const text = await readFile(`/proc/${pid}/task/${task}/children`, 'utf8').catch(() => '')
    children.push(...text.split(' ').filter(Boolean).map(Number))
  }
  return children
}

describe('privinfer serve', () => {
  let root: string
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'privinfer-serve-'))
    await cp(join('models', 'mnist-dp'), join(root, 'models', 'mnist-dp'), { recursive: true })
  })
  afterAll(async () => {
    await rm(root, { recursive: true, force: true })
  })

  it('serves the API and the page from a child with MALLOC_ARENA_MAX=2, and stops on SIGTERM', async () => {
    const port = await freePort()
    const env = { ...process.env }
    delete env.MALLOC_ARENA_MAX
    const serve = spawn(
      process.execPath,
      [
        'cli/privinfer.ts',
        'serve',
        '--port',
        String(port),
        '--host',
        '127.0.0.1',
        '--models-dir',
        join(root, 'models'),
        '--keys-dir',
        join(root, 'keys'),
        '--workers',
        '1',
      ],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let output = ''
    serve.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    serve.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    const exited = new Promise<number | null>((done) => serve.once('exit', (code) => done(code)))
    try {
      const url = `http://127.0.0.1:${port}`
      const deadline = Date.now() + 180_000
      while (
        !(await fetch(`${url}/v1/health`).then(
          (r) => r.ok,
          () => false,
        ))
      ) {
        if (serve.exitCode !== null) throw new Error(`serve exited:\n${output}`)
        if (Date.now() > deadline) throw new Error(`serve not ready:\n${output}`)
        await new Promise((done) => setTimeout(done, 300))
      }
      const models = (await (await fetch(`${url}/v1/models`)).json()) as {
        models: Array<{ id: string; default: boolean }>
      }
      expect(models.models).toEqual([expect.objectContaining({ id: 'mnist-dp', default: true })])
      const page = await fetch(`${url}/`)
      expect(page.status).toBe(200)
      expect(await page.text()).toContain('id="pad"')

      const [service] = await childrenOf(serve.pid!)
      const environ = (await readFile(`/proc/${service}/environ`, 'utf8')).split('\0')
      expect(environ).toContain('MALLOC_ARENA_MAX=2')
      expect(environ).toContain(`PORT=${port}`)
      expect((await readFile(`/proc/${service}/cmdline`, 'utf8')).split('\0')).toContain(
        join(process.cwd(), 'service', 'main.ts'),
      )
    } finally {
      serve.kill('SIGTERM')
    }
    expect(await exited).toBe(0)
  })
})
