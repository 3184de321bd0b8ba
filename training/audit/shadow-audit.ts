/**
 * LiRA for a finished training run: shadow models follow the run's own recipe (same architecture,
 * optimizer, epochs; for DP the same sampling rate q, number of steps and sigma, fresh noise).
 */
import { trainWithConfig, type TrainingOutcome } from '../pipeline.ts'
import { liraAttack } from './lira.ts'
import type { AttackResult } from './loss-threshold.ts'

export function shadowModelAudit(
  outcome: TrainingOutcome,
  shadows: number,
  onShadow?: (done: number, total: number) => void,
): AttackResult {
  const { config, privacy, result } = outcome
  return liraAttack(
    outcome.model,
    outcome.train,
    outcome.evaluation,
    {
      train(shadowTrain, index) {
        // Keep q (and hence the number of steps) of the audited run on the shadow's training set size.
        const batchSize = privacy ? result.sampleRate * shadowTrain.count : config.batchSize
        return trainWithConfig(
          { ...config, batchSize, seed: config.seed + 1000 + index },
          shadowTrain,
          privacy?.noiseMultiplier,
        ).model
      },
    },
    { shadows, seed: config.seed + 3, onShadow },
  )
}
