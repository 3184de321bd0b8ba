import { describe, expect, it } from 'vitest'
import { epsilonRdp } from '../../../training/accountant/index.ts'
import { renderCardMarkdown } from '../../../training/card/card-markdown.ts'
import { buildTrainingCard } from '../../../training/card/training-card.ts'
import { runTraining } from '../../../training/pipeline.ts'

describe('a small DP training run end to end (pipeline -> card)', () => {
  it('states a privacy guarantee that the accountant confirms, and the card says what it covers', async () => {
    const outcome = await runTraining(
      {
        dataset: 'mnist',
        privacy: { epsilon: 8, delta: 1e-5 },
        hidden: [8],
        activation: 'poly',
        pool: 4,
        epochs: 1,
        batchSize: 800,
        learningRate: 0.01,
        optimizer: 'adam',
        schedule: 'constant',
        clippingNorm: 1,
        seed: 1,
        weightGain: 1,
        polyA: 0.1,
      },
      { skipAudit: true },
    )
    const card = buildTrainingCard({ id: 'tiny', outcome, heAccuracy: Number.NaN })
    const privacy = card.privacy!
    expect(card.nonPrivate).toBe(false)
    expect(privacy.sampleRate).toBeCloseTo(800 / 8000, 12)
    expect(privacy.steps).toBe(10)
    // The stated epsilon is the RDP epsilon of exactly this (q, sigma, steps, delta), at most the target.
    const recomputed = epsilonRdp({
      sampleRate: privacy.sampleRate,
      noiseMultiplier: privacy.noiseMultiplier,
      steps: privacy.steps,
      delta: 1e-5,
    })
    expect(privacy.epsilon).toBeCloseTo(recomputed.epsilon, 9)
    expect(privacy.epsilon).toBeLessThanOrEqual(8)
    expect(privacy.notes?.join(' ')).toContain('NOT counted in epsilon')
    expect(card.data).toEqual({
      dataset: 'mnist',
      trainSize: 8000,
      testSize: 2000,
      testIndicesFile: 'test-indices.json',
    })
    expect(card.input.preprocessing).toEqual({ kind: 'avgpool', height: 28, width: 28, pool: 4 })
    expect(card.input.size).toBe(49)
    expect(card.accuracy?.plaintext).toBe(outcome.onnx.accuracy)
    expect(outcome.onnx.argmaxDisagreements).toBe(0)
    const markdown = renderCardMarkdown(card)
    for (const section of [
      '## Intended use',
      '## Training data',
      '## Evaluation',
      '## Differential privacy',
      '## Homomorphic encryption',
      '## Audit',
    ]) {
      expect(markdown).toContain(section)
    }
    expect(markdown).toContain('not measured')
  })
})
