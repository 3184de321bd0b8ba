/**
 * Executes an HePlan on any HeBackend (STYLE.md §5: the executor takes the backend as a parameter).
 * The input is not freed (the caller owns it); every temporary is freed before returning; the result
 * is new and owned by the caller.
 */
import type { FoldStage } from '../../../core/layout/fold.ts'
import { unreachable } from '../../../core/unreachable.ts'
import type { HeBackend } from './backend.ts'
import { depthOf, type ChebyshevNode } from './chebyshev.ts'
import { hornerPlan, type ChebyshevOp, type HePlan, type MatVecOp, type PlanOp } from './plan.ts'

export interface OpTiming {
  opIndex: number
  kind: PlanOp['kind']
  layer: string
  ms: number
}

export interface ExecuteOptions<C> {
  /**
   * Called after every op with its wall time (performance.now) and the running value after the op
   * (owned by the executor: read it, do not keep or free it).
   */
  onOp?: (timing: OpTiming, current: C) => void
}

function runMatVec<C>(backend: HeBackend<C>, op: MatVecOp, input: C): C {
  const babies: C[] = [input]
  let accumulator: C | undefined
  const rotateAccumulator = (steps: readonly number[]) => {
    for (const step of steps) {
      const rotated = backend.rotate(accumulator!, step)
      backend.free(accumulator!)
      accumulator = rotated
    }
  }
  try {
    const babyStep = op.babyStep ?? 1
    for (let k = 1; k <= op.maxBaby; k++) babies.push(backend.rotate(babies[k - 1], babyStep))
    // Horner over the giant offsets: acc = rot(acc, gap) + G, from the largest offset down.
    const horner = hornerPlan(op)
    for (const { group, before } of horner.groups) {
      if (accumulator !== undefined) rotateAccumulator(before)
      let groupSum: C | undefined
      for (const term of group.terms) {
        const product = backend.multiplyPlain(babies[term.baby], term.plaintext)
        if (groupSum === undefined) groupSum = product
        else {
          backend.addInPlace(groupSum, product)
          backend.free(product)
        }
      }
      if (groupSum === undefined) continue
      if (op.rescale === 'groups') backend.rescaleInPlace(groupSum)
      if (accumulator === undefined) accumulator = groupSum
      else {
        backend.addInPlace(accumulator, groupSum)
        backend.free(groupSum)
      }
    }
    if (accumulator === undefined) throw new Error(`${op.layer}: matVec without any diagonal`)
    rotateAccumulator(horner.after)
    if (op.rescale === 'end') backend.rescaleInPlace(accumulator)
    return accumulator
  } catch (error) {
    if (accumulator !== undefined) backend.free(accumulator)
    throw error
  } finally {
    for (let k = 1; k < babies.length; k++) backend.free(babies[k])
  }
}

/** z ← Σ_{i < radix} rot(z, i·step) per stage; consumes z (frees it) and returns the sum. */
function runFold<C>(backend: HeBackend<C>, stages: readonly FoldStage[], z: C): C {
  let current = z
  for (const { step, radix } of stages) {
    const sum = backend.clone(current)
    let previous = current
    for (let i = 1; i < radix; i++) {
      const rotated = backend.rotate(previous, step)
      backend.addInPlace(sum, rotated)
      backend.free(previous)
      previous = rotated
    }
    backend.free(previous)
    current = sum
  }
  return current
}

/**
 * p(x) of a ChebyshevOp (chebyshev.ts): the giants T_{2^j} first, then the tree, each node computed
 * at the level its parent needs (inputs mod-switched down first, so later products are cheaper).
 * Consumes nothing: x stays owned by the caller; returns a new ciphertext.
 */
function runChebyshev<C>(backend: HeBackend<C>, op: ChebyshevOp, x: C): C {
  const inputLevel = backend.levelOf(x)
  const giants: C[] = [backend.clone(x)]
  try {
    for (let j = 1; j <= op.giants; j++) {
      const next = backend.clone(giants[j - 1])
      backend.squareInPlace(next)
      backend.rescaleInPlace(next)
      backend.addInPlace(next, next, true)
      backend.addPlainInPlace(next, op.minusOnes[j - 1])
      giants.push(next)
    }
    /** A copy of giant j at `drop` levels below the input. */
    const giantAt = (j: number, drop: number): C => {
      const copy = backend.clone(giants[j])
      if (drop > j) backend.modSwitchToInPlace(copy, inputLevel - drop)
      return copy
    }
    const evaluate = (node: ChebyshevNode, drop: number): C => {
      let result: C
      switch (node.kind) {
        case 'term': {
          const giant = giantAt(node.giant, drop - 1)
          result = backend.multiplyPlain(giant, node.factor)
          backend.free(giant)
          backend.rescaleInPlace(result)
          break
        }
        case 'split': {
          result = evaluate(node.quotient, drop - 1)
          const giant = giantAt(node.giant, drop - 1)
          backend.multiplyInPlace(result, giant)
          backend.free(giant)
          backend.rescaleInPlace(result)
          break
        }
        default:
          return unreachable(node)
      }
      if (node.remainder !== undefined) {
        const remainder = evaluate(node.remainder, drop)
        backend.addInPlace(result, remainder, true)
        backend.free(remainder)
      }
      if (node.constant !== undefined) backend.addPlainInPlace(result, node.constant)
      return result
    }
    return evaluate(op.tree, depthOf(op.tree))
  } finally {
    for (const giant of giants) backend.free(giant)
  }
}

/** Runs every op of the plan on `input` and returns the output ciphertext. */
export function executePlan<C>(
  plan: HePlan,
  backend: HeBackend<C>,
  input: C,
  options: ExecuteOptions<C> = {},
): C {
  let current = backend.clone(input)
  try {
    plan.ops.forEach((op, opIndex) => {
      const started = performance.now()
      switch (op.kind) {
        case 'matVec': {
          const next = runMatVec(backend, op, current)
          backend.free(current)
          current = next
          break
        }
        case 'fold':
          current = runFold(backend, op.stages, current)
          break
        case 'addPlain':
          backend.addPlainInPlace(current, op.plaintext)
          break
        case 'square': {
          if (op.linearPlaintext !== undefined) {
            const linear = backend.multiplyPlain(current, op.linearPlaintext)
            backend.squareInPlace(current)
            backend.addInPlace(current, linear)
            backend.free(linear)
          } else {
            backend.squareInPlace(current)
          }
          break
        }
        case 'chebyshev': {
          const next = runChebyshev(backend, op, current)
          backend.free(current)
          current = next
          break
        }
        case 'rescale':
          backend.rescaleInPlace(current)
          break
        case 'modSwitchTo':
          backend.modSwitchToInPlace(current, op.level)
          break
        default:
          return unreachable(op)
      }
      const ms = performance.now() - started
      options.onOp?.({ opIndex, kind: op.kind, layer: op.layer, ms }, current)
    })
    return current
  } catch (error) {
    backend.free(current)
    throw error
  }
}
