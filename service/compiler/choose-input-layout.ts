/**
 * Chooses the client's input layout for the first linear layer: plain replication, or pre-rotated
 * replicas (DESIGN.md §Packing) that divide the number of diagonals by the number of blocks.
 *
 * Pre-rotated candidates: period P (a power of two >= n/2), B = slotCount/P blocks, block b holding
 * x_ext[q − M + R·b] (DESIGN.md §Packing: for 784→128 at 4096 slots, P = 1024, R = 32, offsets
 * −128 + 32b).
 * Every candidate is checked by the brute-force diagonal assignment (every non-zero weight covered);
 * the one with the fewest non-zero diagonals wins, then the fewest BSGS rotations.
 */
import type { InputLayout } from '../../core/card.ts'
import { assignDiagonals, type DiagonalAssignment } from '../../core/layout/diagonal-assignment.ts'
import { bestGiantStep, rotationsOfSplit, splitBabyGiant } from '../../core/layout/baby-giant.ts'
import { preRotatedLayout, replicatedLayout } from '../../core/layout/input-layouts.ts'
import { nextPowerOfTwo } from '../../core/layout/rotate.ts'
import { contentsOfInputLayout } from '../../core/layout/slot-contents.ts'
import { PrivinferError } from '../../core/errors.ts'
import { SlotsExceededError } from './slots-exceeded-error.ts'
import type { DenseStep } from './step-ir.ts'

export interface InputLayoutChoice {
  layout: InputLayout
  contents: Int32Array
  assignment: DiagonalAssignment
  rotationCount: number
  description: string
}

function tryLayout(step: DenseStep, layout: InputLayout, rowPeriod: number, rotationCount: number) {
  const contents = contentsOfInputLayout(layout)
  const assignment = assignDiagonals({
    weights: step.weights,
    rows: step.rows,
    columns: step.columns,
    rowPeriod,
    contents,
    rotationCount,
  })
  return assignment.uncovered === 0 ? { contents, assignment } : undefined
}

/** Plain replication with period nextPow2(n) and M rotations (the straightforward method). */
export function replicatedChoice(step: DenseStep, slotCount: number): InputLayoutChoice {
  const period = nextPowerOfTwo(step.columns)
  const rowPeriod = nextPowerOfTwo(step.rows)
  if (period > slotCount || rowPeriod > slotCount) {
    throw new SlotsExceededError(
      `layer ${step.name} (${step.columns} inputs, ${step.rows} outputs) does not fit ${slotCount} slots`,
    )
  }
  const layout = replicatedLayout(step.columns, period, slotCount)
  for (
    let rotationCount = Math.min(rowPeriod, period);
    rotationCount <= slotCount;
    rotationCount *= 2
  ) {
    const found = tryLayout(step, layout, rowPeriod, rotationCount)
    if (found) {
      return {
        layout,
        ...found,
        rotationCount,
        description: `input replicated with period ${period}, ${found.assignment.diagonals.size} diagonals`,
      }
    }
  }
  throw new PrivinferError('PLAN_INVALID', `no diagonal cover found for ${step.name}`)
}

/** The cheapest covering layout among replication and pre-rotated replicas. */
export function chooseInputLayout(step: DenseStep, slotCount: number): InputLayoutChoice {
  const rowPeriod = nextPowerOfTwo(step.rows)
  const candidates: InputLayoutChoice[] = [replicatedChoice(step, slotCount)]
  for (let period = nextPowerOfTwo(step.columns) / 2; period <= slotCount; period *= 2) {
    if (period < rowPeriod || period < 2) continue
    const blocks = slotCount / period
    if (blocks < 2) continue
    for (let rotations = Math.ceil(rowPeriod / blocks); rotations <= rowPeriod; rotations++) {
      const layout = preRotatedLayout(step.columns, period, slotCount, -rowPeriod, rotations)
      const found = tryLayout(step, layout, rowPeriod, rotations)
      if (found) {
        candidates.push({
          layout,
          ...found,
          rotationCount: rotations,
          description: `pre-rotated replicas: ${blocks} blocks of ${period} slots, offsets ${-rowPeriod} + ${rotations}·b, ${found.assignment.diagonals.size} diagonals`,
        })
        break
      }
    }
  }
  const cost = (choice: InputLayoutChoice) => {
    const diagonals = choice.assignment.diagonals
    const rotations = rotationsOfSplit(splitBabyGiant(diagonals, bestGiantStep(diagonals)))
    // A top-level rotation costs ~12x a plaintext product (bench/primitives.ts, `npm run bench:primitives`: 6.3 vs 0.5 ms).
    return rotations * 12 + diagonals.size
  }
  candidates.sort((a, b) => cost(a) - cost(b))
  return candidates[0]
}
