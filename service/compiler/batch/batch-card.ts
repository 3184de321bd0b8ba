/**
 * The batch part of a model card (core/card.ts BatchCard) from a compiled model: what a client needs
 * to pack a batch query and unpack its results.
 */
import type { BatchCard } from '../../../core/card.ts'
import type { CompiledModel } from '../compile.ts'

/** The batch part of a model card (core/card.ts BatchCard), or undefined without a batch plan. */
export function batchCardOf(compiled: Pick<CompiledModel, 'batch'>): BatchCard | undefined {
  const batch = compiled.batch
  if (batch === undefined) return undefined
  const common = {
    maxBatch: batch.maxBatch,
    inputLevel: batch.plan.depth,
    outputLevel: 0,
    opCounts: { ...batch.opCounts },
    reasons: [...batch.reasons],
  }
  if (batch.packing === 'lanes') {
    return {
      packing: 'lanes',
      lanes: batch.lanes,
      input: { layout: batch.plan.inputLayout },
      output: { layout: batch.plan.outputLayout },
      ...common,
    }
  }
  return {
    packing: 'features',
    inputCiphertexts: batch.plan.inputSize,
    outputCiphertexts: batch.plan.outputSize,
    ...common,
  }
}
