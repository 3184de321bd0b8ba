import { describe, expect, it } from 'vitest'
import { preprocessInput } from '../../client/preprocess.ts'
import { toPrediction } from '../../client/prediction.ts'
import { isPrivinferError } from '../../core/errors.ts'

describe('preprocessInput', () => {
  it('returns the input as is for kind none', () => {
    expect(Array.from(preprocessInput({ kind: 'none' }, [1, 2, 3], 3))).toEqual([1, 2, 3])
  })

  it('averages non-overlapping pool x pool blocks row-major', () => {
    // 4x4 image, pool 2 -> 2x2
    const image = [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 8]
    expect(
      Array.from(preprocessInput({ kind: 'avgpool', height: 4, width: 4, pool: 2 }, image, 16)),
    ).toEqual([1, 2, 3, 5])
  })

  it('rejects a wrong length or non-finite values with INPUT_INVALID', () => {
    for (const bad of [
      [1, 2],
      [1, Number.NaN, 3],
    ]) {
      try {
        preprocessInput({ kind: 'none' }, bad, 3)
        expect.unreachable()
      } catch (error) {
        expect(isPrivinferError(error) && error.code).toBe('INPUT_INVALID')
      }
    }
  })
})

describe('toPrediction', () => {
  it('computes softmax probabilities and the arg-max label', () => {
    const prediction = toPrediction([0, Math.log(3), 0], ['a', 'b', 'c'])
    expect(prediction.label).toBe(1)
    expect(prediction.labelName).toBe('b')
    expect(prediction.probabilities[1]).toBeCloseTo(0.6, 12)
    expect(prediction.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12)
  })

  it('stays finite for large logits', () => {
    const prediction = toPrediction([1000, 1001], ['x', 'y'])
    expect(prediction.probabilities.every(Number.isFinite)).toBe(true)
    expect(prediction.label).toBe(1)
  })
})
