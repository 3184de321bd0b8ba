/**
 * What the window ops (Conv, AveragePool, GlobalAveragePool, Pad) share: reading NCHW spatial
 * attributes (kernel_shape, strides, pads, dilations, auto_pad), checking the activation is an
 * image [C, H, W], and folding a window map into the pending affine map with its geometry
 * (core/layout/window-geometry.ts), which the lowering uses to place outputs on their window
 * corners.
 */
import { intsAttribute } from '../../../onnx/attributes.ts'
import type { OnnxNode } from '../../../onnx/graph.ts'
import { composeLinear } from './affine-map.ts'
import type { LayerChain } from './layer-chain.ts'
import { NodeProblem } from './node-problem.ts'
import { rejectTransposed } from './op-importer.ts'
import { linearActivation, type ActivationValue, type SymbolicValue } from './symbolic-value.ts'
import type { WindowMap } from './window-maps.ts'

/**
 * Largest dense matrix a window op may build (entries; 8 bytes each): 2^26 = 512 MB. The front
 * end keeps linear maps dense, so a convolution on a large image is refused with its size
 * instead of exhausting memory (such an image would not fit the slots of any ring either).
 */
export const MAX_WINDOW_MATRIX_ENTRIES = 2 ** 26

export interface SpatialAttributes {
  kernel: [number, number]
  stride: [number, number]
  /** [top, left, bottom, right]. */
  pads: [number, number, number, number]
}

/** The activation as an image [C, H, W]. @throws NodeProblem for other shapes. */
export function imageOf(node: OnnxNode, x: ActivationValue): [number, number, number] {
  rejectTransposed(x)
  if (x.shape.length !== 3) {
    throw new NodeProblem(
      `input has shape [batch, ${x.shape.join(', ')}]: ${node.opType} needs an NCHW image [batch, C, H, W] (2-D spatial)`,
    )
  }
  return x.shape as [number, number, number]
}

/**
 * Strides, dilations and kernel_shape, checked without the input's shape (so a node after an
 * unsupported one still reports its own problems). Problems go into `problems`, to be reported at
 * once with the node's other ones.
 */
export function windowStrides(
  node: OnnxNode,
  kernel: [number, number],
  problems: string[],
): [number, number] {
  const stride = intsAttribute(node, 'strides') ?? [1, 1]
  const dilations = intsAttribute(node, 'dilations') ?? [1, 1]
  if (stride.length !== 2 || stride.some((s) => !Number.isInteger(s) || s < 1))
    problems.push(`strides [${stride.join(', ')}] must be two positive integers`)
  if (dilations.some((d) => d !== 1))
    problems.push(`dilation [${dilations.join(', ')}]: only dilation 1 is supported`)
  const declared = intsAttribute(node, 'kernel_shape')
  if (declared && declared.join() !== kernel.join())
    problems.push(
      `kernel_shape [${declared.join(', ')}] does not match the weights [${kernel.join(', ')}]`,
    )
  const autoPad = autoPadOf(node)
  if (!['NOTSET', 'VALID', 'SAME_UPPER', 'SAME_LOWER'].includes(autoPad))
    problems.push(`auto_pad ${autoPad} is not an ONNX value`)
  return [stride[0] ?? 1, stride[1] ?? 1]
}

/**
 * kernel, strides and pads (auto_pad NOTSET, VALID, SAME_UPPER, SAME_LOWER) for an input image.
 * Problems go into `problems`; the result is only meaningful when none was added.
 */
export function spatialAttributes(
  node: OnnxNode,
  image: [number, number, number],
  kernel: [number, number],
  problems: string[],
): SpatialAttributes {
  const stride = windowStrides(node, kernel, problems)
  const autoPad = autoPadOf(node)
  let pads: [number, number, number, number] = [0, 0, 0, 0]
  if (autoPad === 'NOTSET') {
    const given = intsAttribute(node, 'pads') ?? [0, 0, 0, 0]
    if (given.length !== 4 || given.some((p) => !Number.isInteger(p) || p < 0))
      problems.push(`pads [${given.join(', ')}] must be four non-negative integers`)
    else pads = [given[0], given[1], given[2], given[3]]
  } else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const axis = (i: 0 | 1) => {
      const size = image[i + 1]
      const out = Math.ceil(size / stride[i])
      const total = Math.max(0, (out - 1) * stride[i] + kernel[i] - size)
      const small = Math.floor(total / 2)
      return autoPad === 'SAME_UPPER' ? [small, total - small] : [total - small, small]
    }
    const [top, bottom] = axis(0)
    const [left, right] = axis(1)
    pads = [top, left, bottom, right]
  }
  return { kernel, stride, pads }
}

function autoPadOf(node: OnnxNode): string {
  const attribute = node.attributes.auto_pad
  return attribute?.kind === 'string' ? attribute.value : 'NOTSET'
}

/** Throws one NodeProblem listing every problem found, if any. */
export function throwProblems(problems: readonly string[]): void {
  if (problems.length > 0) throw new NodeProblem(problems.join('; '))
}

/**
 * Folds a window map into x's pending affine map: out = map(pending(x)), with the geometry
 * composed. An average pool pending right before a convolution is first emitted as a layer of its
 * own (LayerChain.commitLinear), so the lowering can run it as a fold.
 * @throws NodeProblem when the dense matrix would exceed MAX_WINDOW_MATRIX_ENTRIES.
 */
export function applyWindowMap(
  chain: LayerChain,
  x: ActivationValue,
  map: WindowMap,
  nodeName: string,
  options: { keepPoolApart?: boolean } = {},
): SymbolicValue {
  const rows = map.bias.length
  let value = chain.commit(x)
  let pending = chain.affineOf(value)
  if (options.keepPoolApart && pending.averagePool) {
    value = chain.commitLinear(value)
    pending = chain.affineOf(value)
  }
  const entries = rows * pending.inSize
  if (entries > MAX_WINDOW_MATRIX_ENTRIES) {
    throw new NodeProblem(
      `the layer's dense matrix would have ${entries} entries (${rows} outputs x ${pending.inSize} inputs), more than ${MAX_WINDOW_MATRIX_ENTRIES}`,
    )
  }
  const composed = composeLinear(pending, map.weights, rows, map.bias, nodeName, map.geometry)
  return linearActivation(composed, map.geometry.outShape, chain.generation)
}
