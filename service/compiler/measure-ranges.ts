/**
 * Runs a plan in exact float64 slot arithmetic (no scale, no noise) on calibration inputs and records
 * max |slot value| after every op: the integer headroom the modulus chain must leave above the scale.
 * Pure math on core/layout (no SEAL); service/runtime's float64 backend checks the bookkeeping.
 */
import { rotate } from '../../core/layout/rotate.ts'
import { applyFold } from '../../core/layout/fold.ts'
import { contentsOfInputLayout, packByContents } from '../../core/layout/slot-contents.ts'
import { hornerPlan, type HePlan } from './plan.ts'

/** Slot vector after every op (index = op index) for one input. */
export function evaluatePlanSlots(
  plan: HePlan,
  input: ArrayLike<number>,
  observe?: (opIndex: number, slots: Float64Array) => void,
): Float64Array {
  let x = packByContents(contentsOfInputLayout(plan.inputLayout), input)
  const n = plan.slotCount
  plan.ops.forEach((op, opIndex) => {
    switch (op.kind) {
      case 'matVec': {
        const babies: Float64Array[] = [x]
        for (let k = 1; k <= op.maxBaby; k++) babies.push(rotate(babies[k - 1], op.babyStep ?? 1))
        const horner = hornerPlan(op)
        let acc: Float64Array | undefined
        for (const { group, before } of horner.groups) {
          if (acc !== undefined) for (const step of before) acc = rotate(acc, step)
          const sum = acc ?? new Float64Array(n)
          for (const term of group.terms) {
            const diagonal = plan.plaintexts[term.plaintext]
            const baby = babies[term.baby]
            for (let s = 0; s < n; s++) sum[s] += diagonal[s] * baby[s]
          }
          acc = sum
        }
        for (const step of horner.after) acc = rotate(acc!, step)
        x = acc ?? new Float64Array(n)
        break
      }
      case 'fold':
        x = applyFold(op.stages, x)
        break
      case 'addPlain': {
        const values = plan.plaintexts[op.plaintext]
        x = x.map((v, s) => v + values[s])
        break
      }
      case 'square': {
        const linear =
          op.linearPlaintext === undefined ? undefined : plan.plaintexts[op.linearPlaintext]
        x = x.map((v, s) => v * v + (linear === undefined ? 0 : linear[s] * v))
        break
      }
      case 'rescale':
      case 'modSwitchTo':
        break
    }
    observe?.(opIndex, x)
  })
  return x
}

/** Decodes the output vector from output slots (OutputLayout semantics). */
export function readOutput(plan: HePlan, slots: ArrayLike<number>): Float64Array {
  const { outputSize, offset, period, copies } = plan.outputLayout
  const out = new Float64Array(outputSize)
  for (let j = 0; j < outputSize; j++) {
    for (let t = 0; t < copies; t++) out[j] += slots[offset + j + t * period]
  }
  return out
}

export interface ValueRanges {
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
  return { afterOp, inputMaxAbs, outputMaxAbs }
}
