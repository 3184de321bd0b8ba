import { describe, expect, it } from 'vitest'
import { SecureRandom } from '../../../training/random/secure-random.ts'

describe('SecureRandom.poissonSample', () => {
  it('selects each example with the rate q: batch sizes match Binomial(n, q)', () => {
    const random = new SecureRandom()
    const count = 50_000
    const rate = 0.03
    const steps = 20
    const sizes: number[] = []
    const hits = new Uint16Array(count)
    for (let step = 0; step < steps; step++) {
      const batch = random.poissonSample(count, rate)
      sizes.push(batch.length)
      for (const index of batch) hits[index]++
    }
    const total = sizes.reduce((a, b) => a + b, 0)
    const expected = count * steps * rate
    // Total ~ Binomial(n*steps, q): 7 standard deviations.
    expect(Math.abs(total - expected)).toBeLessThan(7 * Math.sqrt(expected * (1 - rate)))
    // Every single batch within 7 standard deviations too, and batches differ (random sizes).
    for (const size of sizes)
      expect(Math.abs(size - count * rate)).toBeLessThan(7 * Math.sqrt(count * rate * (1 - rate)))
    expect(new Set(sizes).size).toBeGreaterThan(1)
    // Indices are valid, ascending and unique within a batch.
    const batch = random.poissonSample(count, rate)
    for (let i = 1; i < batch.length; i++) expect(batch[i]).toBeGreaterThan(batch[i - 1])
    // Both halves of the index range are sampled at the same rate (no positional bias).
    let firstHalf = 0
    for (let i = 0; i < count / 2; i++) firstHalf += hits[i]
    expect(Math.abs(firstHalf - expected / 2)).toBeLessThan(
      7 * Math.sqrt((expected / 2) * (1 - rate)),
    )
  })

  it('returns everything at rate 1 and nothing at rate 0', () => {
    const random = new SecureRandom()
    expect(random.poissonSample(100, 1).length).toBe(100)
    expect(random.poissonSample(100, 0).length).toBe(0)
  })
})
