/**
 * The committed cards of the models a default deployment serves: each gives the mechanism's
 * parameters (so anyone can recompute epsilon), the total budget of its record set and the canary
 * audit with intervals, and no exact statistic of its training records.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { meetsDefaultPrivacyPolicy, type ModelCard } from '../../core/card.ts'
import { epsilonRdp } from '../../training/accountant/rdp.ts'

const MODELS_DIR = 'models'

function cards(): ModelCard[] {
  return readdirSync(MODELS_DIR)
    .sort()
    .map((id) => JSON.parse(readFileSync(join(MODELS_DIR, id, 'card.json'), 'utf8')) as ModelCard)
}

/** Keys holding exact statistics of training records (must not appear anywhere in a served card). */
const EXACT_STATISTICS =
  /^(clippedFraction|clipped|realizedBatchSizes|batchSizes|roc|memberScores|trainLoss|trainAccuracy)$/

function keysOf(value: unknown, into: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) keysOf(item, into)
  else if (value !== null && typeof value === 'object')
    for (const [key, inner] of Object.entries(value)) {
      into.push(key)
      keysOf(inner, into)
    }
  return into
}

describe('served model cards', () => {
  const served = cards().filter((card) => meetsDefaultPrivacyPolicy(card))

  it('the default catalog is exactly the two DP models', () => {
    expect(served.map((card) => card.id)).toEqual(['fashion-mnist-dp', 'mnist-dp'])
  })

  for (const card of served) {
    describe(card.id, () => {
      const privacy = card.privacy as unknown as Record<string, unknown> & {
        epsilon: number
        delta: number
        sampleRate: number
        noiseMultiplier: number
        steps: number
        mechanism: string
        recordSet: {
          records: number
          totalServedByDefault: { epsilon: number; delta: number }
          releases: Array<{ epsilon: number | null; servedByDefault: boolean }>
        }
      }

      it('states q, sigma, steps, delta and the mechanism, and epsilon recomputes from them', () => {
        expect(privacy.sampleRate).toBe(1)
        expect(privacy.steps).toBeGreaterThan(0)
        expect(privacy.mechanism).toMatch(/discrete Gaussian/)
        const recomputed = epsilonRdp({
          sampleRate: privacy.sampleRate,
          noiseMultiplier: privacy.noiseMultiplier,
          steps: privacy.steps,
          delta: privacy.delta,
        }).epsilon
        expect(recomputed).toBeCloseTo(privacy.epsilon, 3)
        expect(privacy.epsilon).toBeLessThanOrEqual(3)
      })

      it('gives the total budget of its record set, which a default deployment keeps at epsilon', () => {
        const set = privacy.recordSet
        expect(set.records).toBe(card.data?.trainSize)
        const servedReleases = set.releases.filter((release) => release.servedByDefault)
        expect(servedReleases).toHaveLength(1)
        expect(set.totalServedByDefault.epsilon).toBeCloseTo(privacy.epsilon, 9)
        expect(set.totalServedByDefault.delta).toBe(privacy.delta)
      })

      it('carries the canary audit: lower bound below the stated epsilon, AUC and TPR with intervals', () => {
        const audit = card.audit as unknown as {
          statedEpsilon: number
          canary: {
            oneRun: { epsilonLowerBound: number; confidence: number }
            flagged: boolean
            attack: { auc: { value: number; interval: { low: number; high: number } } }
          }
        }
        expect(audit.canary.oneRun.confidence).toBe(0.95)
        expect(audit.canary.oneRun.epsilonLowerBound).toBeLessThan(privacy.epsilon)
        expect(audit.canary.flagged).toBe(false)
        const auc = audit.canary.attack.auc
        expect(auc.interval.low).toBeLessThanOrEqual(auc.value)
        expect(auc.interval.high).toBeGreaterThanOrEqual(auc.value)
      })

      it('contains no exact statistic of its training records', () => {
        expect(keysOf(card).filter((key) => EXACT_STATISTICS.test(key))).toEqual([])
      })

      it('has HE accuracy equal to plaintext accuracy within 0.1 point on the full test split', () => {
        const accuracy = card.accuracy as unknown as {
          plaintext: number
          he: number
          testExamples: number
          heTestExamples: number
        }
        expect(accuracy.heTestExamples).toBe(accuracy.testExamples)
        expect(accuracy.testExamples).toBe(card.data?.testSize)
        expect(Math.abs(accuracy.he - accuracy.plaintext)).toBeLessThanOrEqual(0.001)
      })
    })
  }
})
