import { describe, expect, it } from 'vitest'
import { PrivinferError } from '../../../core/errors.ts'
import { attr } from '../../../onnx/attributes.ts'
import { OnnxModelBuilder } from '../../../onnx/builder.ts'
import { createPlainModel } from '../../../service/plain/onnx-runtime.ts'
import { buildMlpOnnx, randomInputs } from '../../support/onnx-fixtures.ts'

/** y = W x + b for a 2 x 3 Gemm, computed by hand. */
const W = [1, 2, 3, -1, 0.5, 0.25]
const B = [0.5, -2]
function affine(x: ArrayLike<number>): number[] {
  return [0, 1].map(
    (row) => B[row] + W[row * 3] * x[0] + W[row * 3 + 1] * x[1] + W[row * 3 + 2] * x[2],
  )
}

function gemmModel(batch: number | string): Uint8Array {
  const builder = new OnnxModelBuilder({ opset: 13 })
  builder.addInput('x', [batch, 3])
  builder.addInitializer('w', [2, 3], W).addInitializer('b', [2], B)
  builder.addNode('Gemm', ['x', 'w', 'b'], ['y'], { transB: attr.int(1) })
  builder.addOutput('y', [batch, 2])
  return builder.toBytes()
}

describe('createPlainModel', () => {
  it('runs more examples than one batch and returns them in order', async () => {
    const model = await createPlainModel(gemmModel('batch'), { batchSize: 4 })
    expect(model.inputSize).toBe(3)
    expect(model.outputSize).toBe(2)
    const inputs = randomInputs(11, 3, 5)
    const outputs = await model.run(inputs)
    expect(outputs).toHaveLength(11)
    outputs.forEach((output, i) => {
      const expected = affine(inputs[i])
      // float32 weights and inputs: relative rounding 2^-24 per operation, a few operations.
      expected.forEach((value, j) => expect(output[j]).toBeCloseTo(value, 5))
    })
    await model.close()
  })

  it('feeds a model with a fixed batch dimension of 1 one example at a time', async () => {
    const model = await createPlainModel(gemmModel(1))
    const outputs = await model.run([
      [1, 0, 0],
      [0, 1, 1],
      [2, 2, 2],
    ])
    expect(outputs.map((output) => Array.from(output))).toEqual([
      affine([1, 0, 0]),
      affine([0, 1, 1]),
      affine([2, 2, 2]),
    ])
    await model.close()
  })

  it('runs a PyTorch-style MLP with a flattened image input', async () => {
    const bytes = buildMlpOnnx({ sizes: [16, 8, 3], activation: 'square', inputDims: [1, 4, 4] })
    const model = await createPlainModel(bytes)
    expect(model.inputShape).toEqual([1, 4, 4])
    expect(model.inputSize).toBe(16)
    expect(model.outputSize).toBe(3)
    const outputs = await model.run(randomInputs(5, 16))
    expect(outputs.every((output) => output.length === 3 && output.every(Number.isFinite))).toBe(
      true,
    )
    await model.close()
  })

  it('rejects an example of the wrong length with INPUT_INVALID', async () => {
    const model = await createPlainModel(gemmModel('batch'))
    await expect(model.run([[1, 2]])).rejects.toMatchObject({ code: 'INPUT_INVALID' })
    await model.close()
  })

  it('rejects bytes that are not ONNX with INVALID_MODEL', async () => {
    const error = await createPlainModel(new TextEncoder().encode('garbage')).catch(
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(PrivinferError)
    expect((error as PrivinferError).code).toBe('INVALID_MODEL')
  })
})
