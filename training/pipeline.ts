/**
 * One training run end to end, shared by `privinfer train` and the sweep: data -> (calibrate sigma)
 * -> train -> ONNX export -> onnxruntime check on the full test split -> loss-threshold audit.
 * Writing the model folder and the HE step are separate (model-folder.ts here; the HE step is cli/commands/he-evaluation.ts, since training does not import the service).
 */
import type { InputPreprocessing } from '../core/card.ts'
import { PrivinferError } from '../core/errors.ts'
import type { Dataset } from './data/dataset.ts'
import { loadSplits, type DataSplits } from './data/load.ts'
import { preprocessDataset } from './data/preprocess.ts'
import { lossThresholdAttack, type AttackResult } from './audit/loss-threshold.ts'
import { evaluateMlp } from './dp-sgd/evaluate.ts'
import { createMlp, type ActivationKind, type Mlp } from './dp-sgd/mlp.ts'
import type { OptimizerKind } from './dp-sgd/optimizer.ts'
import type { PrivacyPlan } from './dp-sgd/privacy-budget.ts'
import { stepsFor, trainMlp, type StepReport, type TrainResult } from './dp-sgd/train-mlp.ts'
import { checkOnnxAgainstTrainer, type OnnxAgreement } from './onnx-check.ts'
import { exportMlpToOnnx } from './onnx-export.ts'

/** Public normalization constants per dataset (the widely published pixel mean/std; not computed from our split). */
export const PUBLIC_NORMALIZATION: Record<string, { mean: number; std: number }> = {
  mnist: { mean: 0.1307, std: 0.3081 },
  'fashion-mnist': { mean: 0.286, std: 0.353 },
}

export interface TrainingConfig {
  dataset: string
  /** undefined = non-private. */
  privacy?: { epsilon: number; delta: number }
  /** Hidden layer widths, e.g. [64]. */
  hidden: number[]
  activation: ActivationKind
  /** Average-pooling factor of the public input transform (1 = none). */
  pool: number
  epochs: number
  /** Expected batch size (private) or batch size (non-private). */
  batchSize: number
  learningRate: number
  optimizer: OptimizerKind
  schedule: 'constant' | 'cosine'
  /** Per-example clipping norm C (private only). */
  clippingNorm: number
  seed: number
  weightGain: number
  polyA: number
  /** Overrides of the public input normalization (default PUBLIC_NORMALIZATION[dataset]). */
  inputMean?: number
  inputStd?: number
  /** Parameter EMA decay per step (undefined = last iterate). */
  emaDecay?: number
  /** Train on (train minus a seeded validation part) and report validation accuracy instead of test. */
  validationFraction?: number
}

export interface TrainingOutcome {
  config: TrainingConfig
  model: Mlp
  onnxBytes: Uint8Array
  preprocessing: InputPreprocessing
  splits: DataSplits
  /** Preprocessed training and evaluation data (evaluation = test, or validation when tuning). */
  train: Dataset
  evaluation: Dataset
  evaluationName: 'test' | 'validation'
  privacy: PrivacyPlan | null
  result: TrainResult
  onnx: OnnxAgreement
  trainerAccuracy: number
  audit: AttackResult | null
  trainSeconds: number
}

export interface PipelineHooks {
  onStep?: (report: StepReport, epsilonSpent: number) => void
  /** Skip the audit (sweeps). */
  skipAudit?: boolean
}

export async function runTraining(
  config: TrainingConfig,
  hooks: PipelineHooks = {},
): Promise<TrainingOutcome> {
  const splits = loadSplits(config.dataset)
  const preprocessing: InputPreprocessing =
    config.pool === 1
      ? { kind: 'none' }
      : { kind: 'avgpool', height: 28, width: 28, pool: config.pool }
  if (config.pool !== 1 && 28 % config.pool !== 0) {
    throw new PrivinferError('BAD_REQUEST', `--pool must divide 28, got ${config.pool}`)
  }
  let train = preprocessDataset(splits.train, preprocessing)
  let evaluation = preprocessDataset(splits.test, preprocessing)
  let evaluationName: 'test' | 'validation' = 'test'
  if (config.validationFraction !== undefined) {
    const { carveValidation } = await import('./data/load.ts')
    const carved = carveValidation(train, config.validationFraction, config.seed + 1)
    train = carved.fit
    evaluation = carved.validation
    evaluationName = 'validation'
  }
  const steps = stepsFor(config.epochs, train.count, config.batchSize)
  const sampleRate = Math.min(1, config.batchSize / train.count)
  let privacy: PrivacyPlan | null = null
  let epsilonAfter: (steps: number) => number = () => Infinity
  if (config.privacy) {
    const budget = await import('./dp-sgd/privacy-budget.ts')
    privacy = budget.planPrivacy({
      sampleRate,
      steps,
      delta: config.privacy.delta,
      epsilon: config.privacy.epsilon,
    })
    epsilonAfter = budget.createEpsilonTracker(
      sampleRate,
      privacy.noiseMultiplier,
      config.privacy.delta,
    )
  }
  const started = Date.now()
  const { model, result } = trainWithConfig(
    config,
    train,
    privacy?.noiseMultiplier,
    hooks.onStep ? (report) => hooks.onStep?.(report, epsilonAfter(report.step)) : undefined,
  )
  const trainSeconds = (Date.now() - started) / 1000
  const onnxBytes = exportMlpToOnnx(model)
  const onnx = await checkOnnxAgainstTrainer(onnxBytes, model, evaluation)
  const trainerAccuracy = evaluateMlp(model, evaluation).accuracy
  const audit =
    hooks.skipAudit || evaluationName !== 'test'
      ? null
      : lossThresholdAttack(model, train, evaluation, config.seed + 2)
  return {
    config,
    model,
    onnxBytes,
    preprocessing,
    splits,
    train,
    evaluation,
    evaluationName,
    privacy,
    result,
    onnx,
    trainerAccuracy,
    audit,
    trainSeconds,
  }
}

/**
 * Initializes and trains one model of `config` on `train` (no accounting: the caller supplies sigma).
 * Used for the served model and for the audit's shadow models.
 * @param noiseMultiplier sigma for DP-SGD; undefined = non-private.
 */
export function trainWithConfig(
  config: TrainingConfig,
  train: Dataset,
  noiseMultiplier: number | undefined,
  onStep?: (report: StepReport) => void,
): { model: Mlp; result: TrainResult } {
  const normalization = PUBLIC_NORMALIZATION[config.dataset]
  const inputMean = config.inputMean ?? normalization.mean
  const inputStd = config.inputStd ?? normalization.std
  const model = createMlp(
    {
      sizes: [train.inputSize, ...config.hidden, 10],
      activation: config.activation,
      inputMean,
      inputStd,
    },
    { seed: config.seed, weightGain: config.weightGain, polyA: config.polyA },
  )
  const result = trainMlp(
    model,
    train,
    {
      epochs: config.epochs,
      batchSize: config.batchSize,
      optimizer: { kind: config.optimizer, learningRate: config.learningRate },
      schedule: config.schedule,
      seed: config.seed,
      emaDecay: config.emaDecay,
      dp:
        noiseMultiplier === undefined
          ? undefined
          : { noiseMultiplier, clippingNorm: config.clippingNorm },
    },
    onStep,
  )
  return { model, result }
}
