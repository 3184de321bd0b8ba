/**
 * privinfer train end to end on a small DP run: trains, exports ONNX, evaluates under HE on a few
 * test digits and writes a model folder whose card states the guarantee the accountant gives.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { epsilonRdp } from '../../training/accountant/index.ts'

const run = promisify(execFile)

describe('privinfer train --json', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'privinfer-train-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('writes a DP model folder with its card, HE accuracy and the epsilon the accountant confirms', async () => {
    const { stdout } = await run(
      process.execPath,
      [
        'cli/privinfer.ts',
        'train',
        '--dataset',
        'mnist',
        '--epsilon',
        '8',
        '--hidden',
        '8',
        '--epochs',
        '1',
        '--batch-size',
        '800',
        '--id',
        'tiny-dp',
        '--models-dir',
        dir,
        '--he-limit',
        '3',
        '--shadows',
        '0',
        '--json',
      ],
      { maxBuffer: 1 << 24 },
    )
    const lines = stdout.trim().split('\n')
    expect(lines).toHaveLength(1)
    const result = JSON.parse(lines[0]) as Record<string, unknown>
    expect(result.id).toBe('tiny-dp')
    const folder = join(dir, 'tiny-dp')
    for (const file of ['card.json', 'card.md', 'compile.json', 'model.onnx', 'test-indices.json'])
      expect(existsSync(join(folder, file))).toBe(true)
    const card = JSON.parse(await readFile(join(folder, 'card.json'), 'utf8'))
    expect(card.nonPrivate).toBe(false)
    expect(card.he.galoisSteps.length).toBeGreaterThan(0)
    expect(card.accuracy.heTestExamples).toBe(3)
    expect(card.accuracy.he).toBe(result.heAccuracy)
    const { epsilon } = epsilonRdp({
      sampleRate: card.privacy.sampleRate,
      noiseMultiplier: card.privacy.noiseMultiplier,
      steps: card.privacy.steps,
      delta: card.privacy.delta,
    })
    expect(card.privacy.epsilon).toBeCloseTo(epsilon, 9)
    expect(card.privacy.epsilon).toBeLessThanOrEqual(8)
    // The training block and the privacy block describe the same run.
    expect(card.training.steps).toBe(card.privacy.steps)
  })
})
