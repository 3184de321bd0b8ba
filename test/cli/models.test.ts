/**
 * privinfer models: every local model with its privacy status, accuracies and whether npm start
 * serves it by default; --server lists what a running service serves (only the DP models).
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestService, type TestService } from '../e2e/test-service.ts'

const run = promisify(execFile)

interface Listing {
  id: string
  privacy: string
  epsilon: number | null
  plaintextAccuracy: number | null
  heAccuracy: number | null
  servedByDefault?: boolean
}

async function models(...args: string[]): Promise<{ server: string | null; models: Listing[] }> {
  const { stdout } = await run(process.execPath, ['cli/privinfer.ts', 'models', ...args, '--json'])
  return JSON.parse(stdout) as { server: string | null; models: Listing[] }
}

describe('privinfer models', () => {
  it('lists the bundled models: DP ones served by default, the non-private benchmark not', async () => {
    const { server, models: listed } = await models()
    expect(server).toBeNull()
    const byId = new Map(listed.map((m) => [m.id, m]))
    const dp = byId.get('mnist-dp')!
    expect(dp.privacy).toMatch(/^DP epsilon=\d\.\d\d, delta=1e-5$/)
    expect(dp.epsilon!).toBeLessThanOrEqual(3)
    expect(dp.servedByDefault).toBe(true)
    expect(dp.plaintextAccuracy!).toBeGreaterThan(0.5)
    expect(dp.heAccuracy!).toBeGreaterThan(0.5)
    const benchmark = byId.get('mnist-mlp')!
    expect(benchmark.privacy).toBe('NON-PRIVATE')
    expect(benchmark.servedByDefault).toBe(false)
  })

  it('prints one table row per model with the privacy status', async () => {
    const { stdout } = await run(process.execPath, ['cli/privinfer.ts', 'models'])
    const lines = stdout.trim().split('\n')
    expect(lines[0]).toMatch(/^model\s+privacy\s+plaintext acc\s+HE acc/)
    expect(lines.find((line) => line.startsWith('mnist-mlp'))).toMatch(/NON-PRIVATE/)
    expect(lines.find((line) => line.startsWith('mnist-dp'))).toMatch(/DP epsilon=/)
  })

  describe('--server', () => {
    let service: TestService
    beforeAll(async () => {
      service = await startTestService()
    }, 240_000)
    afterAll(async () => {
      await service?.close()
    })

    it('lists what the service serves, with the same status string', async () => {
      const { server, models: listed } = await models('--server', service.url)
      expect(server).toBe(service.url)
      expect(listed.map((m) => m.id)).toEqual([service.modelId])
      expect(listed[0].privacy).toMatch(/^DP epsilon=/)
    })
  })
})
