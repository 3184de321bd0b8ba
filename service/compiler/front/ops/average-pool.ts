/**
 * AveragePool (2-D, NCHW): kernel_shape, strides, pads, count_include_pad, auto_pad; ceil_mode 0.
 * Linear, so it folds into the pending affine map as a window map. torch 1.13 exports AvgPool2d as
 * Pad (explicit zeros) + AveragePool with pads 0; the two compose into one window map. A pool with
 * kernel = stride and no padding right on the frontier is marked as such (AffineMap.averagePool):
 * before a convolution the lowering runs it as a fold (rotations, no level).
 */
import { intAttribute, intsAttribute } from '../../../../onnx/attributes.ts'
import { windowGeometry } from '../../../../core/layout/window-geometry.ts'
import { isIdentityMap } from '../affine-map.ts'
import { NodeProblem } from '../node-problem.ts'
import { required, type OpImporter } from '../op-importer.ts'
import { OPAQUE, type ActivationValue } from '../symbolic-value.ts'
import {
  applyWindowMap,
  imageOf,
  spatialAttributes,
  throwProblems,
  windowStrides,
} from '../window-op.ts'
import { averagePoolMap } from '../window-maps.ts'
import type { LayerChain } from '../layer-chain.ts'

export const averagePool: OpImporter = (node, inputs, chain) => {
  const x = required(node, inputs, 0)
  if (x.kind === 'constant') throw new NodeProblem('AveragePool of a constant is not folded')
  const problems: string[] = []
  const kernel = intsAttribute(node, 'kernel_shape')
  if (!kernel || kernel.length !== 2) {
    throw new NodeProblem(
      `kernel_shape [${kernel?.join(', ') ?? ''}]: only 2-D pooling (two kernel sizes) is supported`,
    )
  }
  if (intAttribute(node, 'ceil_mode', 0) !== 0)
    problems.push('ceil_mode 1 is not supported: export with ceil_mode=False')
  if (x.kind === 'opaque') {
    windowStrides(node, [kernel[0], kernel[1]], problems)
    throwProblems(problems)
    return [OPAQUE]
  }
  const image = imageOf(node, x)
  const attributes = spatialAttributes(node, image, [kernel[0], kernel[1]], problems)
  throwProblems(problems)
  const geometry = windowGeometry(
    image,
    image[0],
    attributes.kernel,
    attributes.stride,
    attributes.pads,
  )
  if (geometry.outShape[1] < 1 || geometry.outShape[2] < 1)
    throw new NodeProblem(`the kernel does not fit the padded ${image[1]}x${image[2]} input`)
  const countIncludePad = intAttribute(node, 'count_include_pad', 0) !== 0
  return [pooled(chain, x, averagePoolMap(geometry, countIncludePad), node.name)]
}

/**
 * The pool folded into x's pending map, marked as an exact average pool when it is one of the
 * frontier itself (identity pending map, kernel = stride, no padding).
 */
export function pooled(
  chain: LayerChain,
  x: ActivationValue,
  map: ReturnType<typeof averagePoolMap>,
  nodeName: string,
): ActivationValue {
  const { kernel, stride, pads } = map.geometry
  const current = chain.commit(x)
  const exact =
    isIdentityMap(chain.affineOf(current)) &&
    kernel[0] === stride[0] &&
    kernel[1] === stride[1] &&
    pads.every((pad) => pad === 0)
  const value = applyWindowMap(chain, current, map, nodeName) as ActivationValue
  return exact ? { ...value, base: { ...value.base, averagePool: true } } : value
}
