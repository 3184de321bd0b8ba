import { describe, expect, it } from 'vitest'
import { aucInterval, clopperPearson } from '../../../training/audit/intervals.ts'
import {
  auditCanaryScores,
  oneRunEpsilonLowerBound,
  oneRunPValue,
} from '../../../training/audit/one-run.ts'

describe('the one-run bound (Steinke, Nasr, Jagielski 2023)', () => {
  it('matches the closed form for delta = 0 and all guesses right: p^r = 1 - confidence', () => {
    for (const guesses of [50, 200, 500]) {
      const bound = oneRunEpsilonLowerBound({
        canaries: 1000,
        guesses,
        correct: guesses,
        delta: 0,
        confidence: 0.95,
      })
      const p = 0.05 ** (1 / guesses)
      expect(bound).toBeCloseTo(Math.log(p / (1 - p)), 6)
    }
  })

  it('puts the p-value at the bound on the confidence level, and the delta term only lowers the bound', () => {
    const args = { canaries: 1000, guesses: 200, correct: 170, confidence: 0.95 }
    const bound = oneRunEpsilonLowerBound({ ...args, delta: 1e-5 })
    expect(oneRunPValue({ ...args, epsilon: bound, delta: 1e-5 })).toBeCloseTo(0.05, 6)
    expect(oneRunPValue({ ...args, epsilon: bound * 1.01, delta: 1e-5 })).toBeGreaterThan(0.05)
    expect(bound).toBeLessThan(oneRunEpsilonLowerBound({ ...args, delta: 0 }))
    expect(bound).toBeGreaterThan(0)
  })

  it('gives 0 for chance-level guessing and grows with the number of correct guesses', () => {
    const at = (correct: number) =>
      oneRunEpsilonLowerBound({
        canaries: 1000,
        guesses: 200,
        correct,
        delta: 1e-5,
        confidence: 0.95,
      })
    expect(at(100)).toBe(0)
    expect(at(120)).toBeLessThan(at(150))
    expect(at(150)).toBeLessThan(at(190))
  })

  it('guesses the k best as in and the k worst as out, with Bonferroni over the k tried', () => {
    const scores = Float64Array.from({ length: 100 }, (_, i) => i)
    const inserted = Uint8Array.from({ length: 100 }, (_, i) => (i >= 50 ? 1 : 0))
    const audit = auditCanaryScores(scores, inserted, { delta: 0, guessCounts: [10, 20] })
    expect(audit.trials.map((trial) => trial.correct)).toEqual([20, 40])
    expect(audit.bestGuesses).toBe(40)
    // Two trials: each at confidence 0.975.
    expect(audit.epsilonLowerBound).toBeCloseTo(
      oneRunEpsilonLowerBound({
        canaries: 100,
        guesses: 40,
        correct: 40,
        delta: 0,
        confidence: 0.975,
      }),
      9,
    )
  })
})

describe('confidence intervals', () => {
  it('Clopper-Pearson: 5 of 10 is (0.187, 0.813); 0 of n and n of n have closed forms', () => {
    const half = clopperPearson(5, 10)
    expect(half.low).toBeCloseTo(0.1871, 4)
    expect(half.high).toBeCloseTo(0.8129, 4)
    const none = clopperPearson(0, 40)
    expect(none.low).toBe(0)
    expect(none.high).toBeCloseTo(1 - 0.025 ** (1 / 40), 9)
    const all = clopperPearson(40, 40)
    expect(all.low).toBeCloseTo(0.025 ** (1 / 40), 9)
    expect(all.high).toBe(1)
  })

  it('Hanley-McNeil at AUC 0.5 has the Mann-Whitney null variance (n1 + n2 + 1) / (12 n1 n2)', () => {
    const n = 2000
    const interval = aucInterval(0.5, n, n)
    const halfWidth = (interval.high - interval.low) / 2
    const expected = 1.959964 * Math.sqrt((2 * n + 1) / (12 * n * n))
    expect(halfWidth / expected).toBeCloseTo(1, 3)
  })
})
