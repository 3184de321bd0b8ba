/**
 * Runs a plan in exact float64 slot arithmetic (no scale, no noise; plan/exact-backend.ts) on
 * calibration inputs and records max |slot value| after every op: the integer headroom the modulus
 * chain must leave above the scale. service/runtime's float64 backend checks the bookkeeping.
 */
import { contentsOfInputLayout, packByContents } from '../../core/layout/slot-contents.ts'
import { createExactBackend } from './plan/exact-backend.ts'
import { executePlan } from './plan/execute-plan.ts'
import type { HePlan } from './plan/plan.ts'

/**
 * The plan's exact output slots for one input: executePlan on the exact float64 backend.
 * `observe` sees the slot vector after every op (read only).
 */
export function evaluatePlanSlots(
  plan: HePlan,
  input: ArrayLike<number>,
  observe?: (opIndex: number, slots: Float64Array) => void,
): Float64Array {
  const virtual = packByContents(contentsOfInputLayout(plan.inputLayout), input)
  // A lanes plan (HePlan.lanes): the same input in every lane, so ranges are the single plan's.
  const lanes = plan.lanes ?? 1
  const packed = lanes === 1 ? virtual : new Float64Array(plan.slotCount)
  if (lanes > 1) for (let s = 0; s < plan.slotCount; s++) packed[s] = virtual[Math.floor(s / lanes)]
  return executePlan(plan, createExactBackend(plan), packed, {
    onOp: observe && ((timing, slots) => observe(timing.opIndex, slots)),
  })
}

/** Decodes the output vector from output slots (OutputLayout semantics; lane 0 of a lanes plan). */
export function readOutput(plan: HePlan, slots: ArrayLike<number>): Float64Array {
  const { outputSize, offset, period, copies } = plan.outputLayout
  const lanes = plan.lanes ?? 1
  const out = new Float64Array(outputSize)
  for (let j = 0; j < outputSize; j++) {
    for (let t = 0; t < copies; t++) out[j] += slots[(offset + j + t * period) * lanes]
  }
  return out
}

export interface ValueRanges {
  /** The inputs measured (calibration), for bounds that follow the values (tolerance.ts). */
  inputs: ReadonlyArray<ArrayLike<number>>
  /** max |slot| over inputs after each op (index = op index); index -1 is the packed input. */
  afterOp: number[]
  inputMaxAbs: number
  /** max |output| (decoded) over inputs. */
  outputMaxAbs: number
}

export function measureRanges(plan: HePlan, inputs: ReadonlyArray<ArrayLike<number>>): ValueRanges {
  const afterOp = new Array<number>(plan.ops.length).fill(0)
  let inputMaxAbs = 0
  let outputMaxAbs = 0
  for (const input of inputs) {
    for (let i = 0; i < input.length; i++) inputMaxAbs = Math.max(inputMaxAbs, Math.abs(input[i]))
    const slots = evaluatePlanSlots(plan, input, (opIndex, values) => {
      let max = 0
      for (let s = 0; s < values.length; s++) max = Math.max(max, Math.abs(values[s]))
      afterOp[opIndex] = Math.max(afterOp[opIndex], max)
    })
    for (const value of readOutput(plan, slots))
      outputMaxAbs = Math.max(outputMaxAbs, Math.abs(value))
  }
  return { inputs, afterOp, inputMaxAbs, outputMaxAbs }
}
