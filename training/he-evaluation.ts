/**
 * The HE step of `privinfer train`: compile the exported ONNX with the engine (service/compiler,
 * engineer B2) and measure accuracy under real CKKS encryption on the full test split.
 * Returns null while the compiler is not in the tree (the card then says "HE not measured").
 */
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Progress } from '../cli/progress.ts'
import type { TrainingCard } from './card/training-card.ts'
import type { TrainingOutcome } from './pipeline.ts'

export interface HeEvaluation {
  accuracy: number
  /** Adds the compiler's HE fields (he, comparison, layouts) to the trainer's card. */
  mergeInto(card: TrainingCard): TrainingCard
}

const COMPILER_MODULE = '../service/compiler/compile.ts'

export async function evaluateHe(
  outcome: TrainingOutcome,
  createProgress: (label: string, total: number) => Progress,
): Promise<HeEvaluation | null> {
  if (!existsSync(fileURLToPath(new URL(COMPILER_MODULE, import.meta.url)))) return null
  void outcome
  void createProgress
  return null
}
