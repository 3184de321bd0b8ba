/**
 * Conv (2-D, NCHW): group 1, dilation 1, any channels, kernel, stride and (asymmetric) padding,
 * with or without bias; auto_pad VALID / SAME_UPPER / SAME_LOWER. Folded into the pending affine
 * map as a window map (front/window-op.ts); BatchNormalization, a bias Add or a scalar Mul after it
 * fold into the same map. Grouped and dilated convolutions are rejected with the reason.
 */
import { intAttribute } from '../../../../onnx/attributes.ts'
import { windowGeometry } from '../../../../core/layout/window-geometry.ts'
import { NodeProblem } from '../node-problem.ts'
import { constantInput, required, type OpImporter } from '../op-importer.ts'
import { OPAQUE } from '../symbolic-value.ts'
import {
  applyWindowMap,
  imageOf,
  spatialAttributes,
  throwProblems,
  windowStrides,
} from '../window-op.ts'
import { convolutionMap } from '../window-maps.ts'

export const conv: OpImporter = (node, inputs, chain) => {
  const x = required(node, inputs, 0)
  const w = required(node, inputs, 1)
  if (w.kind !== 'constant')
    throw new NodeProblem('W is a computed tensor: the weights must be constant')
  const weights = constantInput(node, w, 'W')
  const bias = inputs[2] ? constantInput(node, inputs[2], 'B (the bias)') : undefined
  if (x.kind === 'constant') throw new NodeProblem('Conv of a constant is not folded')
  const problems: string[] = []
  const group = intAttribute(node, 'group', 1)
  if (group !== 1)
    problems.push(`group ${group}: grouped and depthwise convolutions are not supported`)
  if (weights.dims.length !== 4) {
    problems.push(`W has rank ${weights.dims.length}: only 2-D convolutions (W [M, C, kH, kW])`)
    throwProblems(problems)
  }
  const [outChannels, inChannels, kh, kw] = weights.dims
  if (bias && bias.values.length !== outChannels)
    problems.push(`B has ${bias.values.length} values for ${outChannels} output channels`)
  if (x.kind === 'opaque') {
    windowStrides(node, [kh, kw], problems)
    throwProblems(problems)
    return [OPAQUE]
  }
  const image = imageOf(node, x)
  const attributes = spatialAttributes(node, image, [kh, kw], problems)
  if (group === 1 && image[0] !== inChannels)
    problems.push(`W expects ${inChannels} input channels, the input has ${image[0]}`)
  throwProblems(problems)
  const geometry = windowGeometry(
    image,
    outChannels,
    attributes.kernel,
    attributes.stride,
    attributes.pads,
  )
  if (geometry.outShape[1] < 1 || geometry.outShape[2] < 1)
    throw new NodeProblem(`the kernel does not fit the padded ${image[1]}x${image[2]} input`)
  return [
    applyWindowMap(chain, x, convolutionMap(geometry, weights.values, bias?.values), node.name, {
      keepPoolApart: true,
    }),
  ]
}
