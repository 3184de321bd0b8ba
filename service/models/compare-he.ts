/**
 * HE vs onnxruntime on the same inputs: the real encrypted round trip (client keys with the card's
 * steps only, encrypt, validated load, plan, decrypt) against the ONNX file run by onnxruntime-node.
 * Used by `privinfer import` (card.comparison) and `privinfer evaluate`.
 */
import type { HeComparison } from '../../core/card.ts'
import { argmax } from '../../core/math/argmax.ts'
import type { CompiledModel } from '../compiler/compile.ts'
import { measureRanges } from '../compiler/measure-ranges.ts'
import { toleranceFor } from '../compiler/tolerance.ts'
import { createPlainModel } from '../plain/onnx-runtime.ts'
import { createLocalRoundTrip, type QueryResult } from '../runtime/seal/local-round-trip.ts'

export interface HeVsPlain {
  comparison: HeComparison
  heOutputs: Float64Array[]
  plainOutputs: Float64Array[]
  /** Server time per query (ms). */
  serverMs: number[]
  queries: QueryResult[]
}

/** Accuracy of the HE and of the onnxruntime outputs' argmax, output r against `labels[r]`. */
export function labelAccuracy(
  check: Pick<HeVsPlain, 'heOutputs' | 'plainOutputs'>,
  labels: ArrayLike<number>,
): { he: number; plain: number } {
  let heCorrect = 0
  let plainCorrect = 0
  check.heOutputs.forEach((output, r) => {
    if (argmax(output) === labels[r]) heCorrect++
    if (argmax(check.plainOutputs[r]) === labels[r]) plainCorrect++
  })
  const count = check.heOutputs.length
  return { he: heCorrect / count, plain: plainCorrect / count }
}

/** max |HE − onnxruntime| and argmax agreement over paired outputs. */
function compareOutputs(
  heOutputs: readonly Float64Array[],
  plainOutputs: readonly Float64Array[],
): { maxAbsError: number; argmaxAgreement: number } {
  let maxAbsError = 0
  let agree = 0
  heOutputs.forEach((he, index) => {
    const reference = plainOutputs[index]
    for (let j = 0; j < he.length; j++)
      maxAbsError = Math.max(maxAbsError, Math.abs(he[j] - reference[j]))
    if (argmax(he) === argmax(reference)) agree++
  })
  return { maxAbsError, argmaxAgreement: heOutputs.length === 0 ? 1 : agree / heOutputs.length }
}

export interface BatchHeVsPlain {
  comparison: HeComparison
  heOutputs: Float64Array[]
  plainOutputs: Float64Array[]
  /** Server time per batch query (ms) and the inputs of each query. */
  serverMs: number[]
  queryInputs: number[]
}

/**
 * The batch plan under real encryption against onnxruntime: the inputs in queries of up to
 * maxBatch (the last one partial), each decrypted to one output per input.
 * Tolerance: lanes plans are bounded by toleranceFor on the expanded plan; features plans walk the
 * single plan's chain and scales without its rotations, so the single plan's bound (which includes
 * their key-switching noise) covers them.
 */
export async function compareBatchHeToPlain(
  compiled: CompiledModel,
  onnxBytes: Uint8Array,
  inputs: ReadonlyArray<ArrayLike<number>>,
  onProgress?: (done: number) => void,
): Promise<BatchHeVsPlain> {
  const batch = compiled.batch
  if (batch === undefined) throw new Error('the model has no batch plan')
  const plain = await createPlainModel(onnxBytes)
  let plainOutputs: Float64Array[]
  try {
    plainOutputs = await plain.run(inputs.map((x) => Float64Array.from(x)))
  } finally {
    await plain.close()
  }
  const roundTrip = await createLocalRoundTrip(compiled)
  const heOutputs: Float64Array[] = []
  const serverMs: number[] = []
  const queryInputs: number[] = []
  try {
    for (let start = 0; start < inputs.length; start += batch.maxBatch) {
      const chunk = inputs.slice(start, start + batch.maxBatch)
      const result = roundTrip.queryBatch(chunk)
      heOutputs.push(...result.outputs)
      serverMs.push(result.serverMs)
      queryInputs.push(chunk.length)
      onProgress?.(heOutputs.length)
    }
  } finally {
    roundTrip.delete()
  }
  const plan = batch.packing === 'lanes' ? batch.plan : compiled.plan
  const tolerance = toleranceFor(compiled.parameters, plan, measureRanges(plan, inputs))
  return {
    comparison: { inputs: inputs.length, ...compareOutputs(heOutputs, plainOutputs), tolerance },
    heOutputs,
    plainOutputs,
    serverMs,
    queryInputs,
  }
}

export async function compareHeToPlain(
  compiled: CompiledModel,
  onnxBytes: Uint8Array,
  inputs: ReadonlyArray<ArrayLike<number>>,
  onProgress?: (done: number, last: QueryResult) => void,
): Promise<HeVsPlain> {
  const plain = await createPlainModel(onnxBytes)
  let plainOutputs: Float64Array[]
  try {
    plainOutputs = await plain.run(inputs.map((x) => Float64Array.from(x)))
  } finally {
    await plain.close()
  }
  const roundTrip = await createLocalRoundTrip(compiled)
  const heOutputs: Float64Array[] = []
  const queries: QueryResult[] = []
  try {
    inputs.forEach((x, index) => {
      const result = roundTrip.query(x)
      queries.push(result)
      heOutputs.push(result.outputs)
      onProgress?.(index + 1, result)
    })
  } finally {
    roundTrip.delete()
  }
  let maxAbsError = 0
  let agree = 0
  heOutputs.forEach((he, index) => {
    const reference = plainOutputs[index]
    for (let j = 0; j < he.length; j++) maxAbsError = Math.max(maxAbsError, Math.abs(he[j] - reference[j]))
    if (argmax(he) === argmax(reference)) agree++
  })
  // The tolerance covers the CKKS error; onnxruntime computes in float32, whose rounding
  // (~1e-7 relative per operation) is far below it for these sizes.
  const tolerance = toleranceFor(compiled.parameters, compiled.plan, measureRanges(compiled.plan, inputs))
  return {
    comparison: { inputs: inputs.length, maxAbsError, tolerance, argmaxAgreement: inputs.length === 0 ? 1 : agree / inputs.length },
    heOutputs,
    plainOutputs,
    serverMs: queries.map((query) => query.serverMs),
    queries,
  }
}
