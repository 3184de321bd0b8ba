/**
 * Pad (mode constant, value 0) of the spatial dimensions of an NCHW activation: a linear map (the
 * input embedded in a larger zero image) folded into the pending affine map as a window map, so
 * that Pad + AveragePool (torch's AvgPool2d export) or Pad + Conv compose into one window map.
 * All-zero pads are the identity. Other modes (reflect, edge, wrap) and non-zero values move or
 * invent data and are rejected.
 */
import { floatAttribute, intsAttribute } from '../../../../onnx/attributes.ts'
import type { WindowGeometry } from '../../../../core/layout/window-geometry.ts'
import { NodeProblem } from '../node-problem.ts'
import { constantInput, required, type OpImporter } from '../op-importer.ts'
import { OPAQUE } from '../symbolic-value.ts'
import { applyWindowMap, imageOf } from '../window-op.ts'

export const pad: OpImporter = (node, inputs, chain) => {
  const x = required(node, inputs, 0)
  if (x.kind === 'constant') throw new NodeProblem('Pad of a constant is not folded')
  const modeAttribute = node.attributes.mode
  const mode = modeAttribute?.kind === 'string' ? modeAttribute.value : 'constant'
  if (mode !== 'constant')
    throw new NodeProblem(`mode ${mode} copies input values: only constant (zero) padding`)
  // opset >= 11: pads and constant_value are inputs; before, attributes.
  const pads = inputs[1]
    ? Array.from(constantInput(node, inputs[1], 'pads').values)
    : intsAttribute(node, 'pads')
  if (!pads) throw new NodeProblem('no pads')
  const value = inputs[2]
    ? (constantInput(node, inputs[2], 'constant_value').values[0] ?? 0)
    : floatAttribute(node, 'value', 0)
  if (value !== 0) throw new NodeProblem(`constant_value ${value}: only zero padding is linear`)
  if (inputs[3]) throw new NodeProblem('the axes input is not supported: pad all four NCHW axes')
  if (x.kind === 'opaque') return [OPAQUE]
  if (pads.every((p) => p === 0)) return [x]
  const image = imageOf(node, x)
  if (pads.length !== 8)
    throw new NodeProblem(`pads has ${pads.length} values, an NCHW input needs 8`)
  // [N_begin, C_begin, H_begin, W_begin, N_end, C_end, H_end, W_end]
  if (pads[0] !== 0 || pads[1] !== 0 || pads[4] !== 0 || pads[5] !== 0)
    throw new NodeProblem('pads the batch or channel dimension: only H and W may be padded')
  if (pads.some((p) => !Number.isInteger(p) || p < 0))
    throw new NodeProblem(`pads [${pads.join(', ')}]: negative pads (cropping) are not supported`)
  const [channels, height, width] = image
  const [top, left, bottom, right] = [pads[2], pads[3], pads[6], pads[7]]
  const geometry: WindowGeometry = {
    inShape: image,
    outShape: [channels, height + top + bottom, width + left + right],
    kernel: [1, 1],
    stride: [1, 1],
    pads: [top, left, bottom, right],
  }
  const [, outHeight, outWidth] = geometry.outShape
  const rows = channels * outHeight * outWidth
  const columns = channels * height * width
  const weights = new Float64Array(rows * columns)
  for (let c = 0; c < channels; c++)
    for (let y = 0; y < height; y++)
      for (let xx = 0; xx < width; xx++)
        weights[
          ((c * outHeight + y + top) * outWidth + xx + left) * columns +
            (c * height + y) * width +
            xx
        ] = 1
  return [applyWindowMap(chain, x, { geometry, weights, bias: new Float64Array(rows) }, node.name)]
}
