import { describe, expect, it } from 'vitest'
import { createMlp, type ActivationKind } from '../../training/dp-sgd/mlp.ts'
import { checkOnnxAgainstTrainer } from '../../training/onnx-check.ts'
import { exportMlpToOnnx } from '../../training/onnx-export.ts'
import { readOnnxModel } from '../../onnx/index.ts'
import { SeededRandom } from '../../training/random/seeded-random.ts'
import type { Dataset } from '../../training/data/dataset.ts'

function randomImages(count: number, inputSize: number): Dataset {
  const random = new SeededRandom(5)
  return {
    name: 'random',
    inputs: Float32Array.from({ length: count * inputSize }, () => random.nextUniform()),
    labels: Uint8Array.from({ length: count }, () => random.nextInt(10)),
    count,
    inputSize,
    labelNames: Array.from({ length: 10 }, (_, i) => String(i)),
  }
}

describe.each<ActivationKind>(['poly', 'square'])('exportMlpToOnnx (%s)', (activation) => {
  it('runs in onnxruntime-node and agrees with the trainer forward pass (normalization folded in)', async () => {
    const model = createMlp(
      { sizes: [49, 16, 10], activation, inputMean: 0.13, inputStd: 0.31 },
      { seed: 9, polyA: 0.2 },
    )
    if (activation === 'poly') {
      model.params[model.activationOffsets[0]] = 0.37
      model.params[model.activationOffsets[0] + 1] = 0.81
    }
    const data = randomImages(64, 49)
    const agreement = await checkOnnxAgainstTrainer(exportMlpToOnnx(model), model, data)
    // float32 weights and arithmetic: relative error ~ a few ulps (2^-24) times the accumulated magnitude.
    expect(agreement.maxAbsLogitError).toBeLessThan(1e-5 * Math.max(1, agreement.maxAbsLogit) * 49)
    expect(agreement.maxAbsLogit).toBeGreaterThan(0.1)
    expect(agreement.argmaxDisagreements).toBe(0)
  })

  it('writes Gemm(transB=1) layers and the activation pattern the HE importer expects', () => {
    const model = createMlp(
      { sizes: [4, 3, 2], activation, inputMean: 0, inputStd: 1 },
      { seed: 1 },
    )
    const graph = readOnnxModel(exportMlpToOnnx(model))
    const ops = graph.nodes.map((node) => node.opType)
    const gemms = graph.nodes.filter((node) => node.opType === 'Gemm')
    expect(gemms).toHaveLength(2)
    for (const gemm of gemms) expect(gemm.attributes.transB).toEqual({ kind: 'int', value: 1 })
    expect(ops).toContain('Mul')
    if (activation === 'poly') expect(ops).toContain('Add')
    else expect(ops).not.toContain('Add')
  })
})
