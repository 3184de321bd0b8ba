/**
 * The audit printed on a served model's card. It runs the served recipe's mechanism (the same
 * features, model, clipping norm, noise multiplier, steps and q = 1 full batch) on the public
 * Fashion-MNIST proxy (training/data/load.ts), never on the served training records: an audit that
 * scores members releases exact statistics of them, and a second run on them would cost a second
 * epsilon.
 *
 * - One-run canary audit (canary-audit.ts): empirical epsilon lower bound at 95% confidence, flagged
 *   when above the stated epsilon; the white-box and black-box canary scores as attacks, each AUC and
 *   TPR with a 95% interval.
 * - Loss-threshold membership inference on natural examples of the audit run: members = the 8,000
 *   proxy records it trained on, non-members = the 2,000 held-out proxy records.
 */
import { loadSplits } from '../data/load.ts'
import type { Dataset } from '../data/dataset.ts'
import { preprocessDataset } from '../data/preprocess.ts'
import type { Mlp } from '../dp-sgd/mlp.ts'
import type { PrivacyPlan } from '../dp-sgd/privacy-budget.ts'
import { preprocessingOf, trainWithConfig, type TrainingConfig } from '../pipeline.ts'
import {
  attackFigures,
  runCanaryAudit,
  type AttackFigures,
  type CanaryAuditResult,
} from './canary-audit.ts'
import { scaledConfidence } from './scaled-confidence.ts'

export const PROXY_DATASET = 'fashion-mnist-proxy'

export interface ServedAudit {
  recordSet: string
  records: number
  statedEpsilon: number
  delta: number
  noiseMultiplier: number
  steps: number
  canary: Omit<CanaryAuditResult, 'statedEpsilon'>
  naturalExamples: AttackFigures & { attack: string }
  /** What it means, in one paragraph (copied into the card). */
  reading: string
}

export interface ServedAuditOptions {
  canaries?: number
  /** Canary L2 norm as a multiple of the features' typical norm (default 10). */
  canaryNormFactor?: number
  seed?: number
  onFeatures?: (done: number, total: number) => void
  onStep?: (step: number) => void
}

/** Mean L2 norm of the rows of `data`. */
function meanNorm(data: Dataset): number {
  let total = 0
  for (let r = 0; r < data.count; r++) {
    let squared = 0
    for (let k = 0; k < data.inputSize; k++) squared += data.inputs[r * data.inputSize + k] ** 2
    total += Math.sqrt(squared)
  }
  return total / data.count
}

/**
 * Audits `recipe` (a served recipe: full batch, DP) with noise multiplier `privacy.noiseMultiplier`
 * on the proxy.
 */
export function auditServedRecipe(
  recipe: TrainingConfig,
  privacy: PrivacyPlan,
  options: ServedAuditOptions = {},
): ServedAudit {
  const splits = loadSplits(PROXY_DATASET)
  const preprocessing = preprocessingOf(recipe)
  const train = preprocessDataset(splits.train, preprocessing, {
    onProgress: options.onFeatures,
  })
  const heldOut = preprocessDataset(splits.test, preprocessing)
  const config: TrainingConfig = {
    ...recipe,
    dataset: PROXY_DATASET,
    batchSize: train.count,
    nominalTrainSize: train.count,
  }
  const canaries = options.canaries ?? 1000
  const canaryNorm = (options.canaryNormFactor ?? 10) * meanNorm(train)
  const epsilon = recipe.privacy?.epsilon ?? Infinity
  let step = 0
  let trained: Mlp | undefined
  const canary = runCanaryAudit(
    train,
    (data, observe) => {
      trained = trainWithConfig(config, data, privacy.noiseMultiplier, undefined, (model, g, n) => {
        observe(model, g, n)
        options.onStep?.(++step)
      }).model
      return trained
    },
    recipe.clippingNorm,
    {
      canaries,
      canaryNorm,
      epsilon,
      delta: privacy.delta,
      seed: options.seed ?? 20260604,
    },
  )
  // Natural examples: the audit run's final model scores its 8,000 training records against the
  // 2,000 held-out ones (all public proxy records).
  const memberScores = scaledConfidence(trained!, train)
  const nonMemberScores = scaledConfidence(trained!, heldOut)
  const scores = new Float64Array(train.count + heldOut.count)
  scores.set(memberScores)
  scores.set(nonMemberScores, train.count)
  const isMember = new Uint8Array(scores.length).fill(1, 0, train.count)
  const { statedEpsilon: _stated, ...canaryResult } = canary
  return {
    recordSet: `${PROXY_DATASET} (public proxy: Fashion-MNIST training images outside the served split)`,
    records: train.count,
    statedEpsilon: epsilon,
    delta: privacy.delta,
    noiseMultiplier: privacy.noiseMultiplier,
    steps: canary.steps,
    canary: canaryResult,
    naturalExamples: {
      attack: 'loss-threshold (log-odds of the true class), 8,000 members vs 2,000 held-out',
      ...attackFigures(scores, isMember, {}),
    },
    reading: readingOf(canary, epsilon),
  }
}

function readingOf(canary: CanaryAuditResult, epsilon: number): string {
  const bound = canary.oneRun.epsilonLowerBound
  return canary.flagged
    ? `FLAGGED: the one-run audit proves epsilon >= ${bound.toFixed(2)} at 95% confidence, above the stated ${epsilon}: the trainer does not deliver its guarantee.`
    : `The one-run audit's empirical lower bound is epsilon >= ${bound.toFixed(2)} (95% confidence), below the stated ${epsilon}: consistent with the guarantee. The same audit flags a trainer without noise or without clipping (test/training/audit/canary-audit.test.ts); a lower bound below epsilon does not prove the guarantee, it fails to refute it.`
}
