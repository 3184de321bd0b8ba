/** Hand-built LayerModels for the lowering tests (no ONNX involved). */
import type { Layer, LayerModel } from '../../../service/compiler/ir.ts'
import { seededRandom as seeded } from '../../../service/compiler/seeded-random.ts'

export { seeded }

/** An MLP: sizes [n0, n1, ...], with `activations[i]` (poly coefficients) after linear layer i. */
export function mlp(
  sizes: number[],
  activations: Array<number[] | undefined>,
  seed = 1,
  scale = 1,
): LayerModel {
  const next = seeded(seed)
  const layers: Layer[] = []
  for (let i = 0; i + 1 < sizes.length; i++) {
    const inFeatures = sizes[i]
    const outFeatures = sizes[i + 1]
    const bound = scale / Math.sqrt(inFeatures)
    layers.push({
      kind: 'linear',
      name: `fc${i + 1}`,
      inFeatures,
      outFeatures,
      weights: Float64Array.from(
        { length: inFeatures * outFeatures },
        () => (2 * next() - 1) * bound,
      ),
      bias: Float64Array.from({ length: outFeatures }, () => (2 * next() - 1) * 0.1),
    })
    const activation = activations[i]
    if (activation !== undefined)
      layers.push({ kind: 'poly', name: `act${i + 1}`, coefficients: activation })
  }
  return {
    inputName: 'input',
    inputShape: [1, sizes[0]],
    inputSize: sizes[0],
    outputName: 'output',
    outputSize: sizes[sizes.length - 1],
    layers,
  }
}

/** Dense float64 evaluation of a LayerModel (the reference the plans must match). */
export function evaluateDense(model: LayerModel, input: ArrayLike<number>): Float64Array {
  let x = Float64Array.from(input)
  for (const layer of model.layers) {
    if (layer.kind === 'linear') {
      const y = Float64Array.from(layer.bias)
      for (let i = 0; i < layer.outFeatures; i++) {
        for (let j = 0; j < layer.inFeatures; j++)
          y[i] += layer.weights[i * layer.inFeatures + j] * x[j]
      }
      x = y
    } else if (layer.kind === 'poly') {
      x = x.map((v) => layer.coefficients.reduceRight((acc, c) => acc * v + c, 0))
    } else {
      throw new Error(`evaluateDense: ${layer.kind} layers are not handled`)
    }
  }
  return x
}

export function randomInputs(size: number, count: number, seed = 9): Float64Array[] {
  const next = seeded(seed)
  return Array.from({ length: count }, () => Float64Array.from({ length: size }, next))
}
