/**
 * The service process as `npm start` runs it (node service/main.ts): a non-loopback bind without a
 * token refuses to start and says why; the default bind is loopback and the log states the mode.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'

let root: string | undefined
afterEach(async () => {
  if (root) await rm(root, { recursive: true, force: true })
  root = undefined
})

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs the service with `env` until it exits or `until` matches its stdout (then SIGTERM). */
async function runService(env: Record<string, string>, until?: RegExp): Promise<Run> {
  root = await mkdtemp(join(tmpdir(), 'privinfer-start-'))
  const child = spawn(process.execPath, ['service/main.ts'], {
    env: {
      PATH: process.env.PATH ?? '',
      PORT: '0',
      MODELS_DIR: join(root, 'models'),
      KEYS_DIR: join(root, 'keys'),
      WORKERS: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
    if (until?.test(stdout)) child.kill('SIGTERM')
  })
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  clearTimeout(timer)
  return { code, stdout, stderr }
}

describe('service start-up', () => {
  it('refuses to start on 0.0.0.0 without AUTH_TOKEN, naming the reason, and listens on nothing', async () => {
    const run = await runService({ HOST: '0.0.0.0' })
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('HOST=0.0.0.0')
    expect(run.stderr).toContain('AUTH_TOKEN is not set')
    expect(run.stderr).toContain('ALLOW_UNAUTHENTICATED=1')
    expect(run.stdout).not.toContain('listening')
  })

  it('binds loopback by default and logs the access mode', async () => {
    const run = await runService({}, /"msg":"listening/)
    const line = run.stdout.split('\n').find((text) => text.includes('"msg":"listening'))
    expect(line).toBeDefined()
    const entry = JSON.parse(line!) as { url: string; access: string }
    expect(entry.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(entry.access).toBe('loopback only, unauthenticated (AUTH_TOKEN not set)')
  })

  it('runs openly on a non-loopback address only when told to, and says so', async () => {
    const run = await runService(
      { HOST: '0.0.0.0', ALLOW_UNAUTHENTICATED: '1' },
      /"msg":"listening/,
    )
    expect(run.stdout).toContain('UNAUTHENTICATED (ALLOW_UNAUTHENTICATED=1)')
  })
})
