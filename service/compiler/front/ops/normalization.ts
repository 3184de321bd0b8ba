/**
 * BatchNormalization in inference mode (training_mode=0): a per-channel scale and shift of the
 * activation, folded into the pending affine map (channel = the first dimension after the batch).
 */
import { floatAttribute, intAttribute } from '../../../../onnx/attributes.ts'
import { scaleAndShift } from '../affine-map.ts'
import { sizeOf } from '../constant-tensor.ts'
import { NodeProblem } from '../node-problem.ts'
import { constantInput, rejectTransposed, required, type OpImporter } from '../op-importer.ts'
import { OPAQUE, linearActivation } from '../symbolic-value.ts'

export const batchNormalization: OpImporter = (node, inputs, chain) => {
  const x = required(node, inputs, 0)
  if (intAttribute(node, 'training_mode', 0) !== 0)
    throw new NodeProblem('training_mode=1 is not inference')
  const [scale, shift, mean, variance] = [1, 2, 3, 4].map((i) =>
    constantInput(node, required(node, inputs, i), ['', 'scale', 'B', 'mean', 'var'][i]),
  )
  const epsilon = floatAttribute(node, 'epsilon', 1e-5)
  if (x.kind !== 'activation') {
    if (x.kind === 'opaque') return [OPAQUE]
    throw new NodeProblem('BatchNormalization of a constant is not folded')
  }
  rejectTransposed(x)
  if (x.shape.length === 0) throw new NodeProblem('input has no channel dimension')
  const channels = x.shape[0]
  const spatial = sizeOf(x.shape) / channels
  if ([scale, shift, mean, variance].some((t) => t.values.length !== channels)) {
    throw new NodeProblem(`parameters must have ${channels} values (one per channel)`)
  }
  const size = sizeOf(x.shape)
  const factor = new Float64Array(size)
  const offset = new Float64Array(size)
  for (let c = 0; c < channels; c++) {
    const f = scale.values[c] / Math.sqrt(variance.values[c] + epsilon)
    for (let s = 0; s < spatial; s++) {
      factor[c * spatial + s] = f
      offset[c * spatial + s] = shift.values[c] - mean.values[c] * f
    }
  }
  const map = scaleAndShift(chain.affineOf(x), factor, offset, [node.name])
  return [linearActivation(map, x.shape, chain.generation)]
}
