/**
 * Loads a compiled model for node-seal execution: every plaintext is encoded ONCE here, at the level
 * and exact scale the scale schedule assigns (service/compiler/scale-schedule.ts); queries encode
 * nothing. Free with `delete()`.
 *
 * A diagonal whose values are all tiny (e.g. a masked last layer's diagonal holding one weight of
 * 1e-3 at scale 2^19: each coefficient is about 2·Σ|d|·Δ/N < 0.5) encodes to the zero polynomial;
 * SEAL refuses its product ("result ciphertext is transparent"), and the product would be exactly
 * zero anyway. The loaded plan (`plan`) drops such terms; nothing else changes.
 */
import type { CkksContext } from '../../../core/ckks/context.ts'
import type { Plaintext } from '../../../core/seal/load.ts'
import { PrivinferError } from '../../../core/errors.ts'
import type { CompiledModel } from '../../compiler/compile.ts'
import { scheduleScales, type ScaleSchedule } from '../../compiler/scale-schedule.ts'
import type { HePlan } from '../../compiler/plan/plan.ts'

export interface LoadedPlan {
  readonly ctx: CkksContext
  readonly compiled: CompiledModel
  /** The plan as run: compiled.plan without products by plaintexts that encode to zero. */
  readonly plan: HePlan
  /** Ids of the plaintexts that encode to the zero polynomial (their products are dropped). */
  readonly zeroPlaintexts: readonly number[]
  readonly schedule: ScaleSchedule
  /** Encoded plaintexts by plan id (owned by the loaded plan). */
  readonly plaintexts: readonly Plaintext[]
  /** Level and scale the input ciphertext must have. */
  readonly inputLevel: number
  readonly inputScale: number
  readonly outputLevel: number
  readonly outputScale: number
  /** Frees the plaintexts (not the context). Idempotent. */
  delete(): void
}

/**
 * @throws PrivinferError PLAN_INVALID when the context's parameters are not the compiled ones.
 */
export function loadPlan(ctx: CkksContext, compiled: CompiledModel): LoadedPlan {
  const { plan, parameters } = compiled
  if (
    ctx.params.polyModulusDegree !== parameters.polyModulusDegree ||
    ctx.params.coeffModulusBits.join(',') !== parameters.coeffModulusBits.join(',') ||
    ctx.params.scaleBits !== parameters.scaleBits
  ) {
    throw new PrivinferError(
      'PLAN_INVALID',
      'the CKKS context was not made from the compiled parameters',
    )
  }
  const schedule = scheduleScales(plan, parameters, ctx.primes)
  const plaintexts: Plaintext[] = []
  try {
    plan.plaintexts.forEach((values, id) => {
      const spec = schedule.plaintexts[id]
      if (spec === undefined)
        throw new PrivinferError('PLAN_INVALID', `plaintext ${id} is never used`)
      const plaintext = new ctx.seal.Plaintext()
      plaintexts.push(plaintext)
      // node-seal encodes at the top level; drop to the level of use (drops RNS limbs, exact).
      ctx.encoder.encode(values, spec.scale, plaintext)
      if (spec.level < ctx.topLevel)
        ctx.evaluator.plainModSwitchToInplace(plaintext, ctx.parmsIdAtLevel(spec.level))
    })
  } catch (error) {
    for (const plaintext of plaintexts) plaintext.delete()
    throw error
  }
  const zeroPlaintexts = plaintexts.flatMap((plaintext, id) => (plaintext.isZero() ? [id] : []))
  let isDeleted = false
  return {
    ctx,
    compiled,
    plan: withoutZeroProducts(plan, new Set(zeroPlaintexts)),
    zeroPlaintexts,
    schedule,
    plaintexts,
    inputLevel: plan.depth,
    inputScale: 2 ** parameters.scaleBits,
    outputLevel: schedule.outputLevel,
    outputScale: schedule.outputScale,
    delete() {
      if (isDeleted) return
      isDeleted = true
      for (const plaintext of plaintexts) plaintext.delete()
    },
  }
}

/** The plan without the matVec terms and square linear parts whose plaintext is in `zero`. */
function withoutZeroProducts(plan: HePlan, zero: ReadonlySet<number>): HePlan {
  if (zero.size === 0) return plan
  return {
    ...plan,
    ops: plan.ops.map((op) => {
      if (op.kind === 'matVec') {
        return {
          ...op,
          groups: op.groups.map((group) => ({
            ...group,
            terms: group.terms.filter((term) => !zero.has(term.plaintext)),
          })),
        }
      }
      if (
        op.kind === 'square' &&
        op.linearPlaintext !== undefined &&
        zero.has(op.linearPlaintext)
      ) {
        const { linearPlaintext: _dropped, ...rest } = op
        return rest
      }
      return op
    }),
  }
}
