/**
 * privinfer evaluate (local): MNIST test digits through onnxruntime and the encrypted round trip;
 * --json prints one object with both accuracies, the agreement, the error and per-query timings.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)

describe('privinfer evaluate --json', () => {
  it('reports accuracies, argmax agreement, max error within tolerance and one server time per query', async () => {
    const { stdout } = await run(process.execPath, [
      'cli/privinfer.ts',
      'evaluate',
      '--model',
      'mnist-mlp',
      '--n',
      '3',
      '--json',
    ])
    const lines = stdout.trim().split('\n')
    expect(lines).toHaveLength(1)
    const result = JSON.parse(lines[0]) as Record<string, unknown>
    expect(result.model).toBe('mnist-mlp')
    expect(result.examples).toBe(3)
    for (const key of ['plainAccuracy', 'heAccuracy', 'argmaxAgreement']) {
      expect(result[key] as number).toBeGreaterThanOrEqual(0)
      expect(result[key] as number).toBeLessThanOrEqual(1)
    }
    expect(result.maxAbsError as number).toBeLessThan(result.tolerance as number)
    const serverMs = result.serverMs as number[]
    expect(serverMs).toHaveLength(3)
    serverMs.forEach((ms) => expect(ms).toBeGreaterThan(0))
    expect(serverMs).toContain(result.serverMsMedian)
    expect(result.inputBytes as number).toBeGreaterThan(0)
    expect(result.outputBytes as number).toBeGreaterThan(0)
  })
})
