/**
 * GlobalAveragePool (NCHW): the mean of each channel, [C, H, W] -> [C, 1, 1]. A window map with
 * the whole image as kernel; folded into the pending affine map like AveragePool.
 */
import { windowGeometry } from '../../../../core/layout/window-geometry.ts'
import { NodeProblem } from '../node-problem.ts'
import { required, type OpImporter } from '../op-importer.ts'
import { OPAQUE } from '../symbolic-value.ts'
import { imageOf } from '../window-op.ts'
import { averagePoolMap } from '../window-maps.ts'
import { pooled } from './average-pool.ts'

export const globalAveragePool: OpImporter = (node, inputs, chain) => {
  const x = required(node, inputs, 0)
  if (x.kind === 'constant') throw new NodeProblem('GlobalAveragePool of a constant is not folded')
  if (x.kind === 'opaque') return [OPAQUE]
  const image = imageOf(node, x)
  const [channels, height, width] = image
  const geometry = windowGeometry(image, channels, [height, width], [height, width], [0, 0, 0, 0])
  return [pooled(chain, x, averagePoolMap(geometry, true), node.name)]
}
