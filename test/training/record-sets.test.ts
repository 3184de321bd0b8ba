/**
 * Private record sets are used once: no tuning run may score their records, and each served model's
 * card states every release from its set and the totals.
 */
import { describe, expect, it } from 'vitest'
import { isPrivateRecordSet, runTraining } from '../../training/pipeline.ts'
import { RECIPES } from '../../training/recipes.ts'
import { recordSetBudget } from '../../training/record-sets.ts'

describe('record sets', () => {
  it('refuses to tune on a served training set (its validation accuracy is an uncounted release)', async () => {
    for (const recipe of ['mnist-dp', 'fashion-mnist-dp']) {
      await expect(
        runTraining({ ...RECIPES[recipe], validationFraction: 0.1 }),
      ).rejects.toMatchObject({ code: 'BAD_REQUEST' })
    }
    expect(isPrivateRecordSet('fashion-mnist-proxy')).toBe(false)
    expect(isPrivateRecordSet('mnist')).toBe(true)
  })

  it('counts the non-private benchmark against the MNIST digits, and nothing else against Fashion', () => {
    const mnist = recordSetBudget('mnist', { id: 'mnist-dp', epsilon: 2.9998, delta: 1e-5 })!
    expect(mnist.records).toBe(8000)
    expect(mnist.totalServedByDefault).toEqual({ epsilon: 2.9998, delta: 1e-5 })
    expect(mnist.totalInRepository.epsilon).toBeNull()
    expect(mnist.releases.filter((release) => release.epsilon === null)).toHaveLength(1)
    const fashion = recordSetBudget('fashion-mnist', {
      id: 'fashion-mnist-dp',
      epsilon: 2.9998,
      delta: 1e-5,
    })!
    expect(fashion.records).toBe(50_000)
    expect(fashion.releases).toHaveLength(1)
    expect(fashion.totalInRepository).toEqual({ epsilon: 2.9998, delta: 1e-5 })
  })

  it('trains the served recipes once on their full set: full batch at the published size', () => {
    for (const [recipe, size] of [
      ['mnist-dp', 8000],
      ['fashion-mnist-dp', 50_000],
    ] as const) {
      expect(RECIPES[recipe].batchSize).toBe(size)
      expect(RECIPES[recipe].nominalTrainSize).toBe(size)
      expect(RECIPES[recipe].privacy).toEqual({ epsilon: 3, delta: 1e-5 })
    }
  })
})
