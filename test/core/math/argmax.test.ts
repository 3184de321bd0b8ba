import { describe, expect, it } from 'vitest'
import { argmax } from '../../../core/math/argmax.ts'

describe('argmax', () => {
  it('returns the index of the largest value, the first one on ties', () => {
    expect(argmax([0.1, 3, -2, 3])).toBe(1)
    expect(argmax(Float64Array.of(-5, -4, -9))).toBe(1)
    expect(argmax([7])).toBe(0)
  })

  it('reads one row of a row-major buffer, relative to the row', () => {
    const logits = Float32Array.of(9, 1, 2, 0, 5, 4, 1, 1, 8)
    expect([0, 1, 2].map((r) => argmax(logits, r * 3, 3))).toEqual([0, 1, 2])
  })

  it('returns 0 for an empty range', () => {
    expect(argmax([], 0, 0)).toBe(0)
    expect(argmax([3, 4], 2, 0)).toBe(0)
  })
})
