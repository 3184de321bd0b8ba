/**
 * Folds: z = Σ_{t < copies} rot(Y, t·period), gathering the partial sums that the diagonal method
 * leaves in the slots j + t·period (DESIGN.md §Packing).
 *
 * A fold is a list of stages {step, radix}: each stage replaces z by Σ_{i < radix} rot(z, i·step),
 * computed with radix-1 rotations by `step` (one Galois key per stage). Radix 2 everywhere is the
 * classic log2(copies) rotate-and-add; a larger radix trades rotations for fewer keys.
 */
import { rotate } from './rotate.ts'

export interface FoldStage {
  step: number
  radix: number
}

/**
 * Stages that sum `copies` (a power of two) copies spaced `period` apart, with radix 2 unless
 * `maxRadix` allows grouping (radix = largest power of two <= maxRadix that still divides).
 */
export function foldStages(period: number, copies: number, maxRadix = 2): FoldStage[] {
  const stages: FoldStage[] = []
  let step = period
  let remaining = copies
  while (remaining > 1) {
    let radix = 2
    while (radix * 2 <= maxRadix && remaining % (radix * 2) === 0) radix *= 2
    stages.push({ step, radix })
    step *= radix
    remaining /= radix
  }
  return stages
}

/** Rotations a fold costs. */
export function rotationsOfFold(stages: readonly FoldStage[]): number {
  return stages.reduce((sum, stage) => sum + stage.radix - 1, 0)
}

/** Applies fold stages to plain slots. */
export function applyFold(stages: readonly FoldStage[], slots: Float64Array): Float64Array {
  let z = slots
  for (const { step, radix } of stages) {
    const sum = Float64Array.from(z)
    let rotated = z
    for (let i = 1; i < radix; i++) {
      rotated = rotate(rotated, step)
      for (let s = 0; s < sum.length; s++) sum[s] += rotated[s]
    }
    z = sum
  }
  return z
}
