/**
 * CLI failures: every error is exit code 1, one line `privinfer: <message> [<CODE>]` on stderr (or
 * one JSON object on stdout with --json), and never a stack trace. None of these needs a service.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

interface Outcome {
  exitCode: number
  stdout: string
  stderr: string
}

function run(args: string[], env: Record<string, string> = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      args,
      { env: { ...process.env, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({ exitCode: error ? Number(error.code) : 0, stdout, stderr })
      },
    )
  })
}

const privinfer = (...args: string[]) => run(['cli/privinfer.ts', ...args])

/** Exit 1, nothing on stdout, exactly one line on stderr naming `code`; returns the message. */
function expectOneLineFailure(outcome: Outcome, code: string): string {
  expect(outcome.exitCode).toBe(1)
  expect(outcome.stdout).toBe('')
  expect(outcome.stderr).not.toMatch(/\n\s+at /)
  const lines = outcome.stderr.split('\n').filter((line) => line !== '')
  expect(lines).toHaveLength(1)
  const match = /^privinfer: (.*) \[([A-Z_]+)\]$/.exec(lines[0])
  expect(match?.[2]).toBe(code)
  return match![1]
}

/** Exit 1 and exactly one JSON object on stdout: `{error: {code, message, ...}}`. */
function expectJsonFailure(outcome: Outcome, code: string): Record<string, unknown> {
  expect(outcome.exitCode).toBe(1)
  const lines = outcome.stdout.trim().split('\n')
  expect(lines).toHaveLength(1)
  const { error } = JSON.parse(lines[0]) as { error: Record<string, unknown> }
  expect(error.code).toBe(code)
  expect(outcome.stderr).not.toMatch(/\n\s+at /)
  return error
}

describe.concurrent('privinfer on unreadable files', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'privinfer-cli-errors-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('import of a missing ONNX file: one JSON error object with INPUT_INVALID and the path, exit 1', async () => {
    const missing = join(dir, 'missing.onnx')
    const outcome = await privinfer('import', missing, '--id', 'x', '--models-dir', dir, '--json')
    expect(expectJsonFailure(outcome, 'INPUT_INVALID')).toEqual({
      code: 'INPUT_INVALID',
      message: `cannot read ${missing}: no such file or directory`,
      path: missing,
    })
  })

  it('a directory where a file is expected: a one-line message without a stack trace', async () => {
    const outcome = await privinfer('import', dir, '--id', 'x', '--models-dir', dir)
    expect(expectOneLineFailure(outcome, 'INPUT_INVALID')).toMatch(/^cannot read /)
  })

  it('predict --image of a file that is not a PNG: readable INPUT_INVALID, JPEG named', async () => {
    const text = join(dir, 'notes.png')
    await writeFile(text, 'not an image\n')
    const jpeg = join(dir, 'photo.png')
    await writeFile(jpeg, Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 74, 70, 73, 70]))
    const truncated = join(dir, 'truncated.png')
    await writeFile(truncated, Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]))
    const server = ['--server', 'http://127.0.0.1:9', '--model', 'm']
    expect(
      expectOneLineFailure(await privinfer('predict', ...server, '--image', text), 'INPUT_INVALID'),
    ).toBe('not a PNG file (it does not start with the PNG signature)')
    expect(
      expectOneLineFailure(await privinfer('predict', ...server, '--image', jpeg), 'INPUT_INVALID'),
    ).toBe('a JPEG file, not a PNG: convert it to PNG first')
    expect(
      expectOneLineFailure(
        await privinfer('predict', ...server, '--image', truncated),
        'INPUT_INVALID',
      ),
    ).toMatch(/^a damaged or truncated PNG file/)
  })
})

describe.concurrent('privinfer commands and options', () => {
  it('an unknown command is COMMAND_UNKNOWN (exit 1), listing the commands', async () => {
    const message = expectOneLineFailure(await privinfer('prdict'), 'COMMAND_UNKNOWN')
    expect(message).toContain("unknown command 'prdict'")
    expect(message).toContain('predict')
    expect(expectJsonFailure(await privinfer('prdict', '--json'), 'COMMAND_UNKNOWN').command).toBe(
      'prdict',
    )
  })

  it('an unknown option is OPTION_INVALID naming it', async () => {
    const message = expectOneLineFailure(
      await privinfer('predict', '--modle', 'x'),
      'OPTION_INVALID',
    )
    expect(message).toMatch(/^unknown option --modle; the options are .*--model/)
  })

  it('an option without its value (OPTION_INVALID), and a required option missing (FIELD_MISSING), are named', async () => {
    expect(expectOneLineFailure(await privinfer('predict', '--server'), 'OPTION_INVALID')).toBe(
      '--server needs a value',
    )
    expect(
      expectOneLineFailure(await privinfer('infer', '--input', 'x.json'), 'FIELD_MISSING'),
    ).toBe('--model is required')
  })

  it('serve --port 99999 names the option, not the PORT variable', async () => {
    const error = expectJsonFailure(
      await privinfer('serve', '--port', '99999', '--json'),
      'OPTION_INVALID',
    )
    expect(error.message).toBe("--port must be an integer in [0, 65535], got '99999'")
  })
})

describe.concurrent('privinfer and the network', () => {
  const input = join(tmpdir(), `privinfer-cli-input-${process.pid}.json`)
  let closedPort: number
  beforeAll(async () => {
    await writeFile(input, JSON.stringify(new Array(784).fill(0)))
    // A port that was free a moment ago: nothing listens there.
    const probe = createServer()
    await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done))
    closedPort = (probe.address() as { port: number }).port
    await new Promise((done) => probe.close(done))
  })
  afterAll(async () => {
    await rm(input, { force: true })
  })
  const predict = (server: string, ...extra: string[]) =>
    privinfer('predict', '--server', server, '--model', 'mnist-dp', '--input', input, ...extra)

  it('an unreachable service is SERVICE_UNREACHABLE with the cause', async () => {
    const message = expectOneLineFailure(
      await predict(`http://127.0.0.1:${closedPort}`),
      'SERVICE_UNREACHABLE',
    )
    expect(message).toBe(
      `cannot reach the service at http://127.0.0.1:${closedPort} (connection refused: is the service running on that port?)`,
    )
    const error = expectJsonFailure(
      await predict(`http://127.0.0.1:${closedPort}`, '--json'),
      'SERVICE_UNREACHABLE',
    )
    expect(error.cause).toBe('ECONNREFUSED')
  })

  it('a URL without scheme, and one that is not a URL, are URL_INVALID', async () => {
    expect(expectOneLineFailure(await predict('localhost:8080'), 'URL_INVALID')).toBe(
      "'localhost:8080' is not an http(s) URL (did you mean http://localhost:8080?)",
    )
    expect(expectOneLineFailure(await predict('http://[::1'), 'URL_INVALID')).toMatch(
      /is not a URL/,
    )
  })

  it('a URL ending in /v1 (the client adds it) is URL_INVALID with the corrected URL', async () => {
    const error = expectJsonFailure(
      await predict(`http://127.0.0.1:${closedPort}/v1`, '--json'),
      'URL_INVALID',
    )
    expect(error.corrected).toBe(`http://127.0.0.1:${closedPort}`)
  })
})

describe('privinfer serve and npm start on a port in use', () => {
  let blocker: Server
  let port: number
  let keysDir: string
  beforeAll(async () => {
    blocker = createServer()
    await new Promise<void>((done) => blocker.listen(0, '127.0.0.1', done))
    port = (blocker.address() as { port: number }).port
    keysDir = await mkdtemp(join(tmpdir(), 'privinfer-cli-keys-'))
  })
  afterAll(async () => {
    await new Promise((done) => blocker.close(done))
    await rm(keysDir, { recursive: true, force: true })
  })

  it('privinfer serve: PORT_IN_USE naming --port, exit 1', async () => {
    const outcome = await privinfer('serve', '--port', String(port), '--host', '127.0.0.1')
    expect(expectOneLineFailure(outcome, 'PORT_IN_USE')).toBe(
      `port ${port} is in use by another process; choose another with --port`,
    )
  })

  it('the service itself (npm start runs node service/main.ts): PORT_IN_USE, one line', async () => {
    const outcome = await run(['service/main.ts'], {
      PORT: String(port),
      HOST: '127.0.0.1',
      KEYS_DIR: keysDir,
      LOG_LEVEL: 'silent',
    })
    expect(expectOneLineFailure(outcome, 'PORT_IN_USE')).toMatch(
      new RegExp(`^port ${port} on 127\\.0\\.0\\.1 is in use by another process`),
    )
  })
})
