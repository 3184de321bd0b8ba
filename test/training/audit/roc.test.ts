import { describe, expect, it } from 'vitest'
import { computeRoc, tprAtFpr } from '../../../training/audit/roc.ts'

describe('computeRoc', () => {
  it('gives AUC 1 and TPR 1 at 0 FPR for perfectly separated scores', () => {
    const curve = computeRoc([5, 6, 7], [1, 2, 3])
    expect(curve.auc).toBe(1)
    expect(tprAtFpr(curve, 0)).toBe(1)
  })

  it('gives AUC 0.5 for identical scores (ties count one half) and no TPR at low FPR', () => {
    const curve = computeRoc([1, 1, 1, 1], [1, 1, 1, 1])
    expect(curve.auc).toBe(0.5)
    expect(tprAtFpr(curve, 0.01)).toBe(0)
  })

  it('equals the Mann-Whitney statistic', () => {
    const members = [0.9, 0.4, 0.7, 0.2]
    const nonMembers = [0.5, 0.1, 0.3]
    let wins = 0
    for (const m of members) for (const n of nonMembers) wins += m > n ? 1 : m === n ? 0.5 : 0
    expect(computeRoc(members, nonMembers).auc).toBeCloseTo(wins / 12, 12)
  })
})
