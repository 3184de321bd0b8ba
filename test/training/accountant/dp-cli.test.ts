/**
 * `privinfer dp` end to end: spawns the CLI with the Node 24 binary of the project (the one that
 * strips TypeScript types) and parses its stdout.
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { epsilonRdp } from '../../../training/accountant/index.ts'

const root = fileURLToPath(new URL('../../../', import.meta.url))

function privinfer(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(`${root}node_modules/.bin/node`, [`${root}cli/privinfer.ts`, ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

/** The --json contract: stdout is exactly one JSON object on one line. */
function parseOneObject(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split('\n')
  expect(lines).toHaveLength(1)
  const value: unknown = JSON.parse(lines[0])
  expect(typeof value).toBe('object')
  return value as Record<string, unknown>
}

describe('privinfer dp', () => {
  it('dp epsilon --json prints one object with epsilon, delta, accountant, the inputs and the best order', () => {
    const { status, stdout } = privinfer(
      'dp',
      'epsilon',
      '--sample-rate',
      '0.0042666',
      '--noise-multiplier',
      '1.1',
      '--steps',
      '14063',
      '--delta',
      '1e-5',
      '--json',
    )
    expect(status).toBe(0)
    const output = parseOneObject(stdout)
    expect(output).toMatchObject({
      accountant: 'rdp',
      delta: 1e-5,
      sampleRate: 0.0042666,
      noiseMultiplier: 1.1,
      steps: 14063,
    })
    const expected = epsilonRdp({
      sampleRate: 0.0042666,
      noiseMultiplier: 1.1,
      steps: 14063,
      delta: 1e-5,
    })
    expect(output.epsilon).toBe(expected.epsilon)
    expect(output.bestOrder).toBe(expected.bestOrder)
    expect(Math.abs((output.epsilon as number) - 2.597) / 2.597).toBeLessThanOrEqual(1e-3)
  })

  it('dp epsilon --accountant prv reports the upper bound with its estimate and lower bound', () => {
    const { status, stdout } = privinfer(
      'dp',
      'epsilon',
      '--sample-rate',
      '1',
      '--noise-multiplier',
      '1',
      '--steps',
      '1',
      '--delta',
      '1e-5',
      '--accountant',
      'prv',
      '--json',
    )
    expect(status).toBe(0)
    const output = parseOneObject(stdout)
    expect(output.accountant).toBe('prv')
    expect(output.epsilon as number).toBeGreaterThanOrEqual(4.3772)
    expect(output.epsilonLower as number).toBeLessThan(output.epsilon as number)
    expect(output.epsilonEstimate as number).toBeCloseTo(4.3772, 3)
  })

  it('dp sigma --json prints the calibrated noise multiplier', () => {
    const { status, stdout } = privinfer(
      'dp',
      'sigma',
      '--sample-rate',
      '0.032',
      '--steps',
      '1000',
      '--delta',
      '1e-5',
      '--epsilon',
      '3',
      '--json',
    )
    expect(status).toBe(0)
    const output = parseOneObject(stdout)
    expect(Math.abs((output.noiseMultiplier as number) - 1.717) / 1.717).toBeLessThanOrEqual(1e-3)
    expect(output.epsilon as number).toBeLessThanOrEqual(3)
    expect(output).toMatchObject({ accountant: 'rdp', sampleRate: 0.032, steps: 1000, delta: 1e-5 })
  })

  it('prints a readable line without --json', () => {
    const { status, stdout } = privinfer(
      'dp',
      'epsilon',
      '--sample-rate',
      '0.01',
      '--noise-multiplier',
      '1',
      '--steps',
      '100',
      '--delta',
      '1e-5',
    )
    expect(status).toBe(0)
    expect(stdout).toMatch(/^epsilon \d+\.\d+ at delta 0\.00001 \(rdp: best RDP order [\d.]+\)/)
  })

  it('fails with ACCOUNTANT_INVALID and exit code 1 on an invalid delta', () => {
    const { status, stdout } = privinfer(
      'dp',
      'epsilon',
      '--sample-rate',
      '0.01',
      '--noise-multiplier',
      '1',
      '--steps',
      '100',
      '--delta',
      '2',
      '--json',
    )
    expect(status).toBe(1)
    expect(parseOneObject(stdout)).toMatchObject({ error: { code: 'ACCOUNTANT_INVALID' } })
  })

  it('rejects an unknown accountant and a missing option', () => {
    expect(
      privinfer(
        'dp',
        'epsilon',
        '--sample-rate',
        '0.01',
        '--noise-multiplier',
        '1',
        '--steps',
        '9',
        '--delta',
        '1e-5',
        '--accountant',
        'moments',
      ).status,
    ).toBe(1)
    const missing = privinfer(
      'dp',
      'sigma',
      '--sample-rate',
      '0.01',
      '--steps',
      '9',
      '--delta',
      '1e-5',
      '--json',
    )
    expect(missing.status).toBe(1)
    expect(parseOneObject(missing.stdout)).toMatchObject({ error: { code: 'FIELD_MISSING' } })
  })
})
