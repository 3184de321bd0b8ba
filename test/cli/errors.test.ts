/**
 * CLI failures: a file named on the command line that cannot be read is a typed error, not a stack
 * trace, and `--json` still prints exactly one JSON object on stdout.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

interface Outcome {
  exitCode: number
  stdout: string
  stderr: string
}

function privinfer(...args: string[]): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['cli/privinfer.ts', ...args], (error, stdout, stderr) => {
      resolve({ exitCode: error ? Number(error.code) : 0, stdout, stderr })
    })
  })
}

describe('privinfer on unreadable files', () => {
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
    expect(outcome.exitCode).toBe(1)
    const lines = outcome.stdout.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(JSON.parse(lines[0])).toEqual({
      error: {
        code: 'INPUT_INVALID',
        message: `cannot read ${missing}: no such file or directory`,
        path: missing,
      },
    })
    expect(outcome.stderr).not.toMatch(/\n\s+at /)
  })

  it('a directory where a file is expected: a one-line message without a stack trace', async () => {
    const outcome = await privinfer('import', dir, '--id', 'x', '--models-dir', dir)
    expect(outcome.exitCode).toBe(1)
    expect(outcome.stdout).toBe('')
    expect(outcome.stderr).toMatch(/^privinfer: cannot read .*\[INPUT_INVALID\]\n$/)
  })
})
