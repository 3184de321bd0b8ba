/**
 * The HE step of `privinfer train`: compile the exported ONNX with the engine (service/compiler) and
 * measure accuracy under real CKKS encryption (client keygen with the card's Galois steps, encrypt,
 * plan, decrypt: service/models/compare-he.ts) on the full test split, beside onnxruntime.
 *
 * Calibration of the value ranges uses the first `calibrationCount` TEST images, never training
 * images: the ranges shape the HE parameters, and they must not leak training data outside the DP
 * guarantee. (They are held-out data, so the guarantee for the training set is unaffected.)
 */
import type { ModelCard } from '../../core/card.ts'
import { compileModel, type CompiledModel } from '../../service/compiler/compile.ts'
import { compareHeToPlain, labelAccuracy } from '../../service/models/compare-he.ts'
import { withCompiledFields } from '../../service/models/he-card.ts'
import { encryptionParametersBase64Of } from '../../service/models/index.ts'
import type { TrainingCard } from '../../training/card/training-card.ts'
import type { TrainingOutcome } from '../../training/pipeline.ts'
import type { Progress } from '../progress.ts'

export interface HeEvaluation {
  /** Accuracy of the decrypted HE outputs' argmax on the evaluated test rows. */
  accuracy: number
  /** Accuracy of onnxruntime on the same rows. */
  plaintextAccuracy: number
  evaluated: number
  compiled: CompiledModel
  /** Adds the compiler's HE fields (he, comparison, layouts) to the trainer's card. */
  mergeInto(card: TrainingCard): TrainingCard
}

export interface HeEvaluationOptions {
  /** Test rows to run under encryption (default: all). */
  limit?: number
  calibrationCount?: number
  createProgress: (label: string, total: number) => Progress
}

export async function evaluateHe(
  outcome: TrainingOutcome,
  options: HeEvaluationOptions,
): Promise<HeEvaluation> {
  const test = outcome.evaluation
  const rowOf = (r: number) => test.inputs.subarray(r * test.inputSize, (r + 1) * test.inputSize)
  const calibrationCount = Math.min(options.calibrationCount ?? 100, test.count)
  const calibration = Array.from({ length: calibrationCount }, (_, r) => rowOf(r))
  const compiled = compileModel(outcome.onnxBytes, { calibration })
  const count = Math.min(options.limit ?? test.count, test.count)
  const inputs = Array.from({ length: count }, (_, r) => rowOf(r))
  const progress = options.createProgress('HE evaluation', count)
  const check = await compareHeToPlain(compiled, outcome.onnxBytes, inputs, (done, last) =>
    progress.tick(done, { ms: Math.round(last.serverMs) }),
  )
  progress.finish()
  const accuracy = labelAccuracy(check, test.labels)
  const base64 = await encryptionParametersBase64Of(compiled.parameters)
  return {
    accuracy: accuracy.he,
    plaintextAccuracy: accuracy.plain,
    evaluated: count,
    compiled,
    mergeInto(card) {
      const merged = withCompiledFields(card as ModelCard, compiled, base64) as TrainingCard
      return {
        ...merged,
        comparison: check.comparison,
        he: {
          ...merged.he!,
          reasons: [
            ...merged.he!.reasons,
            `calibrated on the first ${calibrationCount} test images (held out, not training data)`,
          ],
        },
      }
    },
  }
}
