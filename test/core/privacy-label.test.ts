import { describe, expect, it } from 'vitest'
import { meetsDefaultPrivacyPolicy, privacyLabel } from '../../core/card.ts'

const dp = (epsilon: number, delta: number) =>
  ({ nonPrivate: false, privacy: { epsilon, delta } }) as Parameters<typeof privacyLabel>[0]

describe('privacyLabel and the default privacy policy', () => {
  it('prints "DP epsilon=3.00, delta=1e-5" for a DP model and NON-PRIVATE otherwise', () => {
    expect(privacyLabel(dp(2.99979, 1e-5))).toBe('DP epsilon=3.00, delta=1e-5')
    expect(privacyLabel(dp(0.5, 1e-6))).toBe('DP epsilon=0.50, delta=1e-6')
    expect(privacyLabel({ nonPrivate: true, privacy: null })).toBe('NON-PRIVATE')
    expect(privacyLabel(dp(Infinity, 1e-5))).toBe('NON-PRIVATE')
  })

  it('serves by default only epsilon <= 3 at delta <= 1e-5', () => {
    expect(meetsDefaultPrivacyPolicy(dp(2.9998, 1e-5))).toBe(true)
    expect(meetsDefaultPrivacyPolicy(dp(3.01, 1e-5))).toBe(false)
    expect(meetsDefaultPrivacyPolicy(dp(1, 1e-4))).toBe(false)
    expect(meetsDefaultPrivacyPolicy({ nonPrivate: true, privacy: null })).toBe(false)
    expect(meetsDefaultPrivacyPolicy({ nonPrivate: false, privacy: null })).toBe(false)
  })
})
