/**
 * Multi-layer perceptrons with HE-friendly activations, stored as one flat Float64Array of parameters
 * (so clipping, noise and the optimizers work on a single vector).
 *
 * Layer l: z = W_l h + b_l (W_l is [out, in] row-major, like nn.Linear and ONNX Gemm with transB=1).
 * Hidden activation:
 * - 'square': h = z^2 (no parameters);
 * - 'poly':   h = a_l z^2 + b_l z with trainable scalars a_l, b_l per hidden layer.
 * The last layer's output are the logits (softmax cross-entropy in training, argmax at inference).
 *
 * A fixed input normalization x' = (x - inputMean) / inputStd with public scalar constants is part of
 * the model during training and folded into the first layer at export (onnx-export.ts).
 */
import { SeededRandom } from '../random/seeded-random.ts'

export type ActivationKind = 'square' | 'poly'

export interface MlpShape {
  /** Layer widths from input to logits, e.g. [196, 64, 10]. */
  sizes: number[]
  activation: ActivationKind
  /** Public normalization constants (not computed from the private data). */
  inputMean: number
  inputStd: number
}

export interface LinearSlot {
  inputs: number
  outputs: number
  /** Offset of W (outputs x inputs, row-major) in the parameter vector. */
  weightOffset: number
  /** Offset of b (outputs) in the parameter vector. */
  biasOffset: number
}

export interface Mlp {
  shape: MlpShape
  params: Float64Array
  linear: LinearSlot[]
  /** Offsets of [a, b] of each hidden layer's 'poly' activation (empty for 'square'). */
  activationOffsets: number[]
}

export interface InitOptions {
  seed: number
  /** Initial quadratic coefficient a of 'poly' (b starts at 1: identity plus a small square). */
  polyA?: number
  /** Standard-deviation gain over 1/sqrt(fan-in) for the weights. */
  weightGain?: number
}

/** Lays out the parameters of `shape` (no values). */
export function layoutOf(
  shape: MlpShape,
): Omit<Mlp, 'params' | 'shape'> & { parameterCount: number } {
  const linear: LinearSlot[] = []
  let offset = 0
  for (let l = 0; l + 1 < shape.sizes.length; l++) {
    const inputs = shape.sizes[l]
    const outputs = shape.sizes[l + 1]
    linear.push({ inputs, outputs, weightOffset: offset, biasOffset: offset + inputs * outputs })
    offset += inputs * outputs + outputs
  }
  const activationOffsets: number[] = []
  if (shape.activation === 'poly') {
    for (let l = 0; l + 1 < linear.length; l++) {
      activationOffsets.push(offset)
      offset += 2
    }
  }
  return { linear, activationOffsets, parameterCount: offset }
}

/** A freshly initialized MLP: W ~ N(0, gain^2 / fan-in), b = 0 (seeded, reproducible). */
export function createMlp(shape: MlpShape, options: InitOptions): Mlp {
  const { linear, activationOffsets, parameterCount } = layoutOf(shape)
  const params = new Float64Array(parameterCount)
  const random = new SeededRandom(options.seed)
  const gain = options.weightGain ?? 1
  for (const slot of linear) {
    const std = gain / Math.sqrt(slot.inputs)
    for (let k = 0; k < slot.inputs * slot.outputs; k++)
      params[slot.weightOffset + k] = std * random.nextNormal()
  }
  for (const offset of activationOffsets) {
    params[offset] = options.polyA ?? 0.1
    params[offset + 1] = 1
  }
  return { shape, params, linear, activationOffsets }
}

/** Hidden activation and its derivative for layer `hidden` (0-based) of `model`. */
export function activationCoefficients(model: Mlp, hidden: number): { a: number; b: number } {
  if (model.shape.activation === 'square') return { a: 1, b: 0 }
  const offset = model.activationOffsets[hidden]
  return { a: model.params[offset], b: model.params[offset + 1] }
}
