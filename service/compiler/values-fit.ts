/**
 * Checks that the values a plan computes fit the modulus of the level they live at, with the
 * headroom margin: for plans compiled on parameters chosen for another plan of the same model (the
 * batch plans, the parts of a split query), which must not overflow the pinned chain.
 */
import type { HeParameters } from './he-parameters.ts'

/** The first value that would not fit its level's modulus (with the margin), or undefined. */
export function valuesFit(
  states: ReadonlyArray<{ level: number; scale: number; maxAbs: number }>,
  parameters: HeParameters,
  headroomMargin: number,
): string | undefined {
  const bits = parameters.coeffModulusBits
  for (const state of states) {
    let modulusBits = 0
    for (let k = 0; k <= state.level; k++) modulusBits += bits[k]
    const needed =
      Math.log2(Math.max(state.maxAbs, 1e-300) * headroomMargin) + Math.log2(state.scale) + 1
    if (needed > modulusBits) {
      return `a value of ${state.maxAbs.toPrecision(3)} needs ${needed.toFixed(1)} bits at level ${state.level} (${modulusBits} available)`
    }
  }
  return undefined
}
