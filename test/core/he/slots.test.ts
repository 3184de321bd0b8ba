import { describe, expect, it } from 'vitest'
import type { InputLayout, OutputLayout } from '../../../core/card.ts'
import { PrivinferError } from '../../../core/errors.ts'
import { packInput, unpackOutput } from '../../../core/he/slots.ts'
import { thrownBy } from '../support/params.ts'

const codeOf = (fn: () => unknown) => (thrownBy(fn) as PrivinferError).code

describe('packInput', () => {
  it('replicates the input with period P across all slots', () => {
    const layout: InputLayout = {
      slotCount: 16,
      inputSize: 3,
      blocks: [0, 4, 8, 12].map((slotStart) => ({ slotStart, length: 4, inputOffset: 0 })),
    }
    expect(Array.from(packInput(layout, [1, 2, 3]))).toEqual([
      1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0,
    ])
  })

  it('places pre-rotated replicas: negative and positive input offsets, zeros outside the input', () => {
    const layout: InputLayout = {
      slotCount: 12,
      inputSize: 4,
      blocks: [
        { slotStart: 0, length: 4, inputOffset: 1 },
        { slotStart: 6, length: 5, inputOffset: -2 },
      ],
    }
    expect(Array.from(packInput(layout, [10, 20, 30, 40]))).toEqual([
      20, 30, 40, 0, 0, 0, 0, 0, 10, 20, 30, 0,
    ])
  })

  it('rejects a wrong input length and non-finite values with INPUT_INVALID', () => {
    const layout: InputLayout = {
      slotCount: 8,
      inputSize: 2,
      blocks: [{ slotStart: 0, length: 2, inputOffset: 0 }],
    }
    expect(codeOf(() => packInput(layout, [1]))).toBe('INPUT_INVALID')
    expect(codeOf(() => packInput(layout, [1, Number.NaN]))).toBe('INPUT_INVALID')
    expect(codeOf(() => packInput(layout, [1, Infinity]))).toBe('INPUT_INVALID')
  })

  it('rejects overlapping or out-of-range blocks with INVALID_MODEL', () => {
    const overlapping: InputLayout = {
      slotCount: 8,
      inputSize: 2,
      blocks: [
        { slotStart: 0, length: 4, inputOffset: 0 },
        { slotStart: 3, length: 2, inputOffset: 0 },
      ],
    }
    expect(codeOf(() => packInput(overlapping, [1, 2]))).toBe('INVALID_MODEL')
    const outside: InputLayout = {
      slotCount: 8,
      inputSize: 2,
      blocks: [{ slotStart: 6, length: 4, inputOffset: 0 }],
    }
    expect(codeOf(() => packInput(outside, [1, 2]))).toBe('INVALID_MODEL')
  })
})

describe('unpackOutput', () => {
  it('sums the copies of each output', () => {
    const layout: OutputLayout = { slotCount: 8, outputSize: 2, offset: 1, period: 3, copies: 2 }
    // output[0] = slot 1 + slot 4, output[1] = slot 2 + slot 5
    expect(Array.from(unpackOutput(layout, [0, 1, 2, 0, 10, 20, 0, 0]))).toEqual([11, 22])
  })

  it('reads a single copy as is', () => {
    const layout: OutputLayout = { slotCount: 4, outputSize: 3, offset: 0, period: 4, copies: 1 }
    expect(Array.from(unpackOutput(layout, [5, 6, 7, 8]))).toEqual([5, 6, 7])
  })

  it('rejects a layout that reads past the slots or does not match their count', () => {
    const layout: OutputLayout = { slotCount: 8, outputSize: 2, offset: 4, period: 3, copies: 2 }
    expect(codeOf(() => unpackOutput(layout, new Float64Array(8)))).toBe('INVALID_MODEL')
    const fits: OutputLayout = { ...layout, offset: 0 }
    expect(codeOf(() => unpackOutput(fits, new Float64Array(16)))).toBe('INVALID_MODEL')
  })
})
