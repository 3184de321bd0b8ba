/**
 * HE vs onnxruntime on the same inputs: the real encrypted round trip (client keys with the card's
 * steps only, encrypt, validated load, plan, decrypt) against the ONNX file run by onnxruntime-node,
 * and against the approximated model in float64 (what the plan computes without CKKS noise).
 * Used by `privinfer import` (card.comparison, card.approximation, the precision check) and
 * `privinfer evaluate`.
 *
 * Outputs are compared as the ONNX model produces them: a trailing Softmax / LogSoftmax / Sigmoid
 * that the plan leaves to the client (core/postprocessing.ts) is applied to the decrypted and the
 * float64 outputs first. The precision check compares the plan's own outputs (before it).
 */
import type { HeComparison } from '../../core/card.ts'
import { PrivinferError } from '../../core/errors.ts'
import {
  applyPostprocessing,
  decisionOf,
  type Postprocessing,
} from '../../core/postprocessing.ts'
import type { CompiledModel } from '../compiler/compile.ts'
import { evaluateLayerModel } from '../compiler/evaluate-layer-model.ts'
import { measureRanges } from '../compiler/measure-ranges.ts'
import { DEFAULT_OUTPUT_PRECISION } from '../compiler/select-parameters.ts'
import { toleranceFor } from '../compiler/tolerance.ts'
import { createPlainModel } from '../plain/onnx-runtime.ts'
import { createLocalRoundTrip, type QueryResult } from '../runtime/seal/local-round-trip.ts'

type PostprocessingKind = Postprocessing | undefined

export interface HeVsPlain {
  comparison: HeComparison
  /** Decrypted outputs after the card's post-processing: the ONNX model's own outputs. */
  heOutputs: Float64Array[]
  /** onnxruntime's outputs of the ONNX file. */
  plainOutputs: Float64Array[]
  /** The approximated model in float64 (fitted activations, no CKKS), after post-processing. */
  approximatedOutputs: Float64Array[]
  /** The approximated model against onnxruntime (decision agreement, max |difference|). */
  approximation: { agreement: number; maxAbsDifference: number }
  /**
   * The CKKS error alone: max |decrypted − float64 plan output| (both before post-processing),
   * and the compiler's target outputPrecision × max |output| on the calibration inputs.
   */
  precision: { maxAbsError: number; target: number }
  /** Server time per query (ms). */
  serverMs: number[]
  queries: QueryResult[]
}

/**
 * Accuracy of the HE, onnxruntime and approximated outputs' decisions (argmax; threshold for one
 * output), output r against `labels[r]`.
 */
export function labelAccuracy(
  check: Pick<HeVsPlain, 'heOutputs' | 'plainOutputs'> & Partial<Pick<HeVsPlain, 'approximatedOutputs'>>,
  labels: ArrayLike<number>,
  postprocessing?: PostprocessingKind,
): { he: number; plain: number; approximated?: number } {
  const accuracyOf = (outputs: readonly Float64Array[]) =>
    outputs.filter((output, r) => decisionOf(output, postprocessing) === labels[r]).length /
    Math.max(outputs.length, 1)
  return {
    he: accuracyOf(check.heOutputs),
    plain: accuracyOf(check.plainOutputs),
    ...(check.approximatedOutputs ? { approximated: accuracyOf(check.approximatedOutputs) } : {}),
  }
}

/** max |a − b| over every output, and the fraction of rows whose decisions agree. */
function differences(
  a: readonly Float64Array[],
  b: readonly Float64Array[],
  postprocessing: PostprocessingKind,
): { maxAbs: number; agreement: number } {
  let maxAbs = 0
  let agree = 0
  a.forEach((row, r) => {
    for (let j = 0; j < row.length; j++) maxAbs = Math.max(maxAbs, Math.abs(row[j] - b[r][j]))
    if (decisionOf(row, postprocessing) === decisionOf(b[r], postprocessing)) agree++
  })
  return { maxAbs, agreement: a.length === 0 ? 1 : agree / a.length }
}

/**
 * A softmax / sigmoid moves each output by at most the largest logit error (their Jacobians' row
 * sums are <= 1/2); a log-softmax by at most twice it.
 */
function postprocessedTolerance(
  tolerance: number,
  kind: PostprocessingKind,
): number {
  return kind === 'logSoftmax' ? 2 * tolerance : tolerance
}

async function runOnnx(
  onnxBytes: Uint8Array,
  inputs: ReadonlyArray<ArrayLike<number>>,
): Promise<Float64Array[]> {
  const plain = await createPlainModel(onnxBytes)
  try {
    return await plain.run(inputs.map((x) => Float64Array.from(x)))
  } finally {
    await plain.close()
  }
}

export interface BatchHeVsPlain extends Pick<
  HeVsPlain,
  'comparison' | 'heOutputs' | 'plainOutputs' | 'approximatedOutputs' | 'approximation' | 'precision'
> {
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
  const plainOutputs = await runOnnx(onnxBytes, inputs)
  const planOutputs = inputs.map((x) => evaluateLayerModel(compiled.approximatedModel, x))
  const roundTrip = await createLocalRoundTrip(compiled)
  const decrypted: Float64Array[] = []
  const serverMs: number[] = []
  const queryInputs: number[] = []
  try {
    for (let start = 0; start < inputs.length; start += batch.maxBatch) {
      const chunk = inputs.slice(start, start + batch.maxBatch)
      const result = roundTrip.queryBatch(chunk)
      decrypted.push(...result.outputs)
      serverMs.push(result.serverMs)
      queryInputs.push(chunk.length)
      onProgress?.(decrypted.length)
    }
  } finally {
    roundTrip.delete()
  }
  const plan = batch.packing === 'lanes' ? batch.plan : compiled.plan
  const tolerance = toleranceFor(compiled.parameters, plan, measureRanges(plan, inputs))
  return {
    ...checked(compiled, { decrypted, plainOutputs, planOutputs, tolerance }),
    serverMs,
    queryInputs,
  }
}

/**
 * Decrypted outputs against onnxruntime and against the float64 plan: the comparison with its
 * tolerance, the approximation's own difference and the precision target.
 * @param tolerance the CKKS tolerance (toleranceFor) of the plan that ran, before post-processing
 */
function checked(
  compiled: CompiledModel,
  run: {
    decrypted: Float64Array[]
    plainOutputs: Float64Array[]
    planOutputs: Float64Array[]
    tolerance: number
  },
): Omit<BatchHeVsPlain, 'serverMs' | 'queryInputs'> {
  const { decrypted, plainOutputs, planOutputs, tolerance } = run
  const post = compiled.layerModel.postprocessing
  const heOutputs = decrypted.map((row) => applyPostprocessing(post, row))
  const approximatedOutputs = planOutputs.map((row) => applyPostprocessing(post, row))
  const vsPlain = differences(heOutputs, plainOutputs, post)
  const approximation = differences(approximatedOutputs, plainOutputs, post)
  return {
    comparison: {
      inputs: decrypted.length,
      maxAbsError: vsPlain.maxAbs,
      // |HE − onnxruntime| <= |HE − plan| + |plan − onnxruntime|: the CKKS tolerance plus the
      // approximation's measured difference on these inputs (0 up to float32 for polynomials).
      tolerance: postprocessedTolerance(tolerance, post) + approximation.maxAbs,
      argmaxAgreement: vsPlain.agreement,
    },
    heOutputs,
    plainOutputs,
    approximatedOutputs,
    approximation: { agreement: approximation.agreement, maxAbsDifference: approximation.maxAbs },
    precision: {
      maxAbsError: differences(decrypted, planOutputs, post).maxAbs,
      target:
        (compiled.options.outputPrecision ?? DEFAULT_OUTPUT_PRECISION) *
        compiled.calibration.outputMaxAbs,
    },
  }
}

export async function compareHeToPlain(
  compiled: CompiledModel,
  onnxBytes: Uint8Array,
  inputs: ReadonlyArray<ArrayLike<number>>,
  onProgress?: (done: number, last: QueryResult) => void,
): Promise<HeVsPlain> {
  const plainOutputs = await runOnnx(onnxBytes, inputs)
  const planOutputs = inputs.map((x) => evaluateLayerModel(compiled.approximatedModel, x))
  const roundTrip = await createLocalRoundTrip(compiled)
  const decrypted: Float64Array[] = []
  const queries: QueryResult[] = []
  try {
    inputs.forEach((x, index) => {
      const result = roundTrip.query(x)
      queries.push(result)
      decrypted.push(result.outputs)
      onProgress?.(index + 1, result)
    })
  } finally {
    roundTrip.delete()
  }
  // The tolerance covers the CKKS error; onnxruntime computes in float32, whose rounding
  // (~1e-7 relative per operation) is far below it for these sizes. With fitted activations
  // the comparison with onnxruntime also holds the approximation's own error (card.approximation).
  const tolerance = toleranceFor(
    compiled.parameters,
    compiled.plan,
    measureRanges(compiled.plan, inputs),
  )
  return {
    ...checked(compiled, { decrypted, plainOutputs, planOutputs, tolerance }),
    serverMs: queries.map((query) => query.serverMs),
    queries,
  }
}

/**
 * The approximated model (float64) against onnxruntime on `inputs`: no encryption, so it runs on
 * every calibration input (card.approximation.check).
 */
export async function compareApproximationToPlain(
  compiled: CompiledModel,
  onnxBytes: Uint8Array,
  inputs: ReadonlyArray<ArrayLike<number>>,
): Promise<{ inputs: number; agreement: number; maxAbsDifference: number }> {
  const post = compiled.layerModel.postprocessing
  const plainOutputs = await runOnnx(onnxBytes, inputs)
  const approximated = inputs.map((x) =>
    applyPostprocessing(post, evaluateLayerModel(compiled.approximatedModel, x)),
  )
  const { maxAbs, agreement } = differences(approximated, plainOutputs, post)
  return { inputs: inputs.length, agreement, maxAbsDifference: maxAbs }
}

/**
 * The import check: the CKKS error measured under real encryption must stay within the compiler's
 * precision target; the compiler chose the parameters by a noise model, this is the measurement.
 * @throws PrivinferError PRECISION_NOT_MET when it does not.
 */
export function assertPrecisionMet(check: Pick<HeVsPlain, 'precision' | 'comparison'>): void {
  const { maxAbsError, target } = check.precision
  if (maxAbsError <= target) return
  throw new PrivinferError(
    'PRECISION_NOT_MET',
    `under encryption the outputs are off by up to ${maxAbsError.toExponential(2)} from the float64 plan on ${check.comparison.inputs} calibration inputs, over the precision target ${target.toExponential(2)}: raise --output-precision or let the compiler pick larger parameters`,
    { maxAbsError, target, inputs: check.comparison.inputs },
  )
}
