/**
 * The `privinfer` bin (cli/privinfer.js) from any folder and with the machine's Node (which may be
 * older than the Node 24 that runs the TypeScript), and `npx privinfer` without npm warnings.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { delimiter, join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const ROOT = resolve('.')
const SHIM = join(ROOT, 'cli', 'privinfer.js')

function run(
  file: string,
  args: string[],
  cwd: string,
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(file, args, { cwd, timeout: 60_000 }, (error, stdout, stderr) => {
      done({ exitCode: error ? Number(error.code) : 0, stdout, stderr })
    })
  })
}

/** The first `node` on PATH outside node_modules (the machine's own), else this Node. */
function machineNode(): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir.includes('node_modules')) continue
    const candidate = join(dir, 'node')
    if (existsSync(candidate)) return candidate
  }
  return process.execPath
}

const DP_ARGS = [
  'dp',
  'epsilon',
  '--sample-rate',
  '0.01',
  '--noise-multiplier',
  '1.1',
  '--steps',
  '100',
  '--delta',
  '1e-5',
  '--json',
]

describe('privinfer bin', () => {
  let elsewhere: string
  beforeAll(async () => {
    elsewhere = await mkdtemp(join(tmpdir(), 'privinfer-elsewhere-'))
  })
  afterAll(async () => {
    await rm(elsewhere, { recursive: true, force: true })
  })

  it("runs from another folder with the machine's node", async () => {
    const outcome = await run(machineNode(), [SHIM, ...DP_ARGS], elsewhere)
    expect(outcome.stderr).toBe('')
    expect(outcome.exitCode).toBe(0)
    expect(JSON.parse(outcome.stdout)).toMatchObject({ accountant: 'rdp', steps: 100 })
  })

  it('passes the exit code and the one-line error through', async () => {
    const outcome = await run(machineNode(), [SHIM, 'no-such-command'], elsewhere)
    expect(outcome.exitCode).toBe(1)
    expect(outcome.stderr).toMatch(
      /^privinfer: unknown command 'no-such-command'.*\[COMMAND_UNKNOWN\]\n$/,
    )
  })

  it('npx privinfer in the project prints no npm warning', async () => {
    const outcome = await run('npx', ['privinfer', 'help'], ROOT)
    expect(outcome.stderr).toBe('')
    expect(outcome.stdout).toMatch(/^usage: privinfer <command>/)
  })

  it('npx --prefix <project> privinfer from another folder prints no npm warning', async () => {
    const outcome = await run('npx', ['--prefix', ROOT, 'privinfer', ...DP_ARGS], elsewhere)
    expect(outcome.stderr).toBe('')
    expect(JSON.parse(outcome.stdout)).toMatchObject({ accountant: 'rdp' })
  })
})
