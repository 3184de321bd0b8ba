import { readFileSync } from 'node:fs'
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

  it('computes the scatter28-v1 features of the published test vector for kind scattering', () => {
    const { vectors } = JSON.parse(
      readFileSync(new URL('../core/features/scatter28-vector.json', import.meta.url), 'utf8'),
    ) as { vectors: Array<{ image: number[]; features: number[] }> }
    const features = preprocessInput(
      { kind: 'scattering', transform: 'scatter28-v1', height: 28, width: 28 },
      vectors[1].image,
      784,
    )
    expect(features.length).toBe(1001)
    features.forEach((value, i) =>
      expect(Math.abs(value - vectors[1].features[i])).toBeLessThan(1e-9),
    )
  })

  it('rejects an unknown scattering transform with INVALID_MODEL (a newer card than this client)', () => {
    const unknown = { kind: 'scattering', transform: 'scatter28-v9', height: 28, width: 28 }
    expect(() => preprocessInput(unknown as never, new Float64Array(784), 784)).toThrow(
      expect.objectContaining({ code: 'INVALID_MODEL' }),
    )
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

  it("applies the card's post-processing: the ONNX model's own outputs, then probabilities", () => {
    const logits = [0, Math.log(3)]
    const softmax = toPrediction(logits, ['a', 'b'], 'softmax')
    expect(softmax.logits).toEqual(logits)
    expect(softmax.outputs[0]).toBeCloseTo(0.25, 12)
    expect(softmax.probabilities).toEqual(softmax.outputs)
    const logSoftmax = toPrediction(logits, ['a', 'b'], 'logSoftmax')
    expect(logSoftmax.outputs[1]).toBeCloseTo(Math.log(0.75), 12)
    expect(logSoftmax.probabilities[1]).toBeCloseTo(0.75, 12)
    expect(logSoftmax.label).toBe(1)
  })

  it('thresholds one sigmoid output at 0.5 and reports [1 - p, p]', () => {
    const yes = toPrediction([Math.log(4)], ['malignant'], 'sigmoid')
    expect(yes.outputs[0]).toBeCloseTo(0.8, 12)
    expect(yes.probabilities[0]).toBeCloseTo(0.2, 12)
    expect(yes.probabilities[1]).toBeCloseTo(0.8, 12)
    expect(yes.label).toBe(1)
    expect(toPrediction([-0.1], ['malignant'], 'sigmoid').label).toBe(0)
  })
})
