/**
 * Deterministic seeded splits. The test split is fixed per dataset (its indices are written to the
 * model folder); the validation split is carved from the training part for hyperparameter choice.
 */
import { SeededRandom } from '../random/seeded-random.ts'

export interface IndexSplit {
  /** Row indices of the first part, ascending. */
  first: Int32Array
  /** Row indices of the second part, ascending. */
  second: Int32Array
}

/**
 * Shuffles 0..count-1 with `seed` and cuts after `firstSize` rows; both parts sorted ascending.
 * @example splitIndices(10000, 8000, 20260601) // MNIST train/test
 */
export function splitIndices(count: number, firstSize: number, seed: number): IndexSplit {
  const order = new SeededRandom(seed).permutation(count)
  const first = order.slice(0, firstSize).sort()
  const second = order.slice(firstSize).sort()
  return { first, second }
}
