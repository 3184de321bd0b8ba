/**
 * Reusable ONNX fixtures for tests: random MLPs written the way PyTorch 1.13+ exports them
 * (nn.Linear as Gemm transB=1 with [out, in] weights, Python scalars as Constant 0-d tensors,
 * x*x as Mul(h, h), x**2 as Pow(h, Constant 2)), plus seeded random inputs.
 */
import { attr } from '../../onnx/attributes.ts'
import { OnnxModelBuilder } from '../../onnx/builder.ts'
import type { TensorEncoding } from '../../onnx/tensor.ts'
import { seededRandom } from '../../service/compiler/seeded-random.ts'

/**
 * How the activation between two linear layers is written:
 * - `square`: `h * h`          -> Mul(h, h)
 * - `pow`:    `h ** 2`         -> Pow(h, Constant 2)
 * - `poly`:   `a * h * h + b * h + c` (coefficients [c, b, a], default [0, 0.5, 0.25])
 *             -> Mul(Constant a, h), Mul(., h), Mul(h, Constant b), Add, (Add Constant c)
 * - `none`:   no activation (consecutive Gemms, which the front end folds into one layer)
 */
export type FixtureActivation = 'square' | 'pow' | 'poly' | 'none'

export interface MlpOnnxOptions {
  /** Layer widths [in, hidden..., out]; one Gemm per consecutive pair, an activation between Gemms. */
  sizes: number[]
  activation: FixtureActivation
  /** Seed of the weights (deterministic). Default 1. */
  seed?: number
  /** Where weights go: raw_data (PyTorch) or float_data. Default 'raw'. */
  encoding?: TensorEncoding
  /** Polynomial coefficients for `poly`, lowest degree first (degree <= 2). */
  coefficients?: [number, number, number]
  /** Model input shape without batch, e.g. [1, 28, 28]: a Flatten node is added. Default [sizes[0]]. */
  inputDims?: number[]
  /** Default 13. */
  opset?: number
}

/** Mulberry32: a small seeded generator of uniform numbers in [0, 1). */
export { seededRandom }

/** `count` vectors of `size` uniform values in [low, high), seeded. */
export function randomInputs(
  count: number,
  size: number,
  seed = 7,
  low = -1,
  high = 1,
): Float64Array[] {
  const random = seededRandom(seed)
  return Array.from({ length: count }, () =>
    Float64Array.from({ length: size }, () => low + (high - low) * random()),
  )
}

/**
 * Bytes of a random MLP in the PyTorch export style. Weights are uniform in ±1/sqrt(in) like
 * nn.Linear's default init. Input 'input' [batch, ...inputDims], output 'output' [batch, out].
 *
 * @example buildMlpOnnx({ sizes: [16, 8, 8, 4], activation: 'pow', seed: 3 }) // two Pow layers
 */
export function buildMlpOnnx(options: MlpOnnxOptions): Uint8Array {
  const { sizes, activation } = options
  if (sizes.length < 2) throw new Error('buildMlpOnnx: sizes needs at least [in, out]')
  const random = seededRandom(options.seed ?? 1)
  const encoding = options.encoding ?? 'raw'
  const [c0, c1, c2] = options.coefficients ?? [0, 0.5, 0.25]
  const inputDims = options.inputDims ?? [sizes[0]]
  const builder = new OnnxModelBuilder({ opset: options.opset ?? 13, producerName: 'pytorch' })
  builder.addInput('input', ['batch', ...inputDims])

  let current = 'input'
  if (inputDims.length > 1) {
    builder.addNode('Flatten', [current], ['/Flatten_output_0'], { axis: attr.int(1) }, '/Flatten')
    current = '/Flatten_output_0'
  }
  let constants = 0
  const constant = (value: number): string => {
    const name = `/Constant_${constants++}_output_0`
    builder.addConstant(name, value)
    return name
  }
  const layerCount = sizes.length - 1
  for (let layer = 0; layer < layerCount; layer++) {
    const inFeatures = sizes[layer]
    const outFeatures = sizes[layer + 1]
    const bound = 1 / Math.sqrt(inFeatures)
    const uniform = (): number => (2 * random() - 1) * bound
    const prefix = `fc${layer + 1}`
    builder.addInitializer(
      `${prefix}.weight`,
      [outFeatures, inFeatures],
      Array.from({ length: outFeatures * inFeatures }, uniform),
      { encoding },
    )
    builder.addInitializer(
      `${prefix}.bias`,
      [outFeatures],
      Array.from({ length: outFeatures }, uniform),
      { encoding },
    )
    const isLast = layer === layerCount - 1
    const gemmOut = isLast ? 'output' : `/${prefix}/Gemm_output_0`
    builder.addNode(
      'Gemm',
      [current, `${prefix}.weight`, `${prefix}.bias`],
      [gemmOut],
      { alpha: attr.float(1), beta: attr.float(1), transB: attr.int(1) },
      `/${prefix}/Gemm`,
    )
    current = gemmOut
    if (isLast) break
    const act = `/act${layer + 1}`
    switch (activation) {
      case 'square':
        builder.addNode('Mul', [current, current], [`${act}/Mul_output_0`], {}, `${act}/Mul`)
        current = `${act}/Mul_output_0`
        break
      case 'pow':
        builder.addNode('Pow', [current, constant(2)], [`${act}/Pow_output_0`], {}, `${act}/Pow`)
        current = `${act}/Pow_output_0`
        break
      case 'poly': {
        // a * h * h + b * h + c, evaluated left to right as Python does.
        builder.addNode('Mul', [constant(c2), current], [`${act}/Mul_output_0`], {}, `${act}/Mul`)
        builder.addNode(
          'Mul',
          [`${act}/Mul_output_0`, current],
          [`${act}/Mul_1_output_0`],
          {},
          `${act}/Mul_1`,
        )
        builder.addNode(
          'Mul',
          [current, constant(c1)],
          [`${act}/Mul_2_output_0`],
          {},
          `${act}/Mul_2`,
        )
        builder.addNode(
          'Add',
          [`${act}/Mul_1_output_0`, `${act}/Mul_2_output_0`],
          [`${act}/Add_output_0`],
          {},
          `${act}/Add`,
        )
        current = `${act}/Add_output_0`
        if (c0 !== 0) {
          builder.addNode(
            'Add',
            [current, constant(c0)],
            [`${act}/Add_1_output_0`],
            {},
            `${act}/Add_1`,
          )
          current = `${act}/Add_1_output_0`
        }
        break
      }
      case 'none':
        break
    }
  }
  builder.addOutput('output', ['batch', sizes[sizes.length - 1]])
  return builder.toBytes()
}
