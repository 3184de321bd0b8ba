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
import {
  stepsFor,
  trainMlp,
  type StepObserver,
  type StepReport,
  type TrainResult,
} from './dp-sgd/train-mlp.ts'
import { checkOnnxAgainstTrainer, type OnnxAgreement } from './onnx-check.ts'
import { exportMlpToOnnx } from './onnx-export.ts'

/** Public normalization constants per dataset (the widely published pixel mean/std; not computed from our split). */
export const PUBLIC_NORMALIZATION: Record<string, { mean: number; std: number }> = {
  mnist: { mean: 0.1307, std: 0.3081 },
  'fashion-mnist': { mean: 0.286, std: 0.353 },
  'fashion-mnist-proxy': { mean: 0.286, std: 0.353 },
}

/** The client-side input transform: raw pixels (optionally average-pooled) or scattering features. */
export type FeatureKind = 'pixels' | 'scatter28-v1'

export interface TrainingConfig {
  dataset: string
  /** undefined = non-private. */
  privacy?: { epsilon: number; delta: number }
  /** Hidden layer widths, e.g. [64]. */
  hidden: number[]
  activation: ActivationKind
  /** Average-pooling factor of the public input transform (1 = none; pixels only). */
  pool: number
  /** Input transform (default 'pixels'); scatter28-v1 features are normalized per image already. */
  features?: FeatureKind
  /**
   * Public training-set size n0 fixing q = batchSize / n0, the steps and the normalizer (default:
   * the actual size). Published in the card, so (q, sigma, steps) do not depend on the private data.
   */
  nominalTrainSize?: number
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
  /** Feature computation progress (scattering: minutes for 60,000 images; cached afterwards). */
  onFeatures?: (part: 'train' | 'test', done: number, total: number) => void
  /** Skip the audit (sweeps). */
  skipAudit?: boolean
  /**
   * Non-private runs only: clip per-example gradients as DP training does but add no noise (the
   * sweep's no-noise reference point, so it differs from the DP points by the noise alone).
   */
  clipWithoutNoise?: boolean
}

/** The card's input preprocessing for a training configuration. */
export function preprocessingOf(config: TrainingConfig): InputPreprocessing {
  if (config.features === 'scatter28-v1')
    return { kind: 'scattering', transform: 'scatter28-v1', height: 28, width: 28 }
  if (config.pool !== 1 && 28 % config.pool !== 0) {
    throw new PrivinferError('BAD_REQUEST', `--pool must divide 28, got ${config.pool}`)
  }
  return config.pool === 1
    ? { kind: 'none' }
    : { kind: 'avgpool', height: 28, width: 28, pool: config.pool }
}

/**
 * Whether a dataset's training records are a private record set (a served model trains on them): no
 * exact statistic of them (member scores, clipped fractions, batch sizes) may be released.
 */
export function isPrivateRecordSet(dataset: string): boolean {
  return dataset !== 'fashion-mnist-proxy'
}

export async function runTraining(
  config: TrainingConfig,
  hooks: PipelineHooks = {},
): Promise<TrainingOutcome> {
  if (config.validationFraction !== undefined && isPrivateRecordSet(config.dataset)) {
    throw new PrivinferError(
      'BAD_REQUEST',
      `tuning on '${config.dataset}' would release exact validation accuracies of its training records, uncounted in epsilon: tune on --dataset fashion-mnist-proxy (public, disjoint from every served training set)`,
      { dataset: config.dataset },
    )
  }
  const splits = loadSplits(config.dataset)
  const preprocessing = preprocessingOf(config)
  let train = preprocessDataset(splits.train, preprocessing, {
    onProgress: (done, total) => hooks.onFeatures?.('train', done, total),
  })
  let evaluation = preprocessDataset(splits.test, preprocessing, {
    onProgress: (done, total) => hooks.onFeatures?.('test', done, total),
  })
  let evaluationName: 'test' | 'validation' = 'test'
  if (config.validationFraction !== undefined) {
    const { carveValidation } = await import('./data/load.ts')
    const carved = carveValidation(train, config.validationFraction, config.seed + 1)
    train = carved.fit
    evaluation = carved.validation
    evaluationName = 'validation'
  }
  const nominal = config.nominalTrainSize ?? train.count
  const steps = stepsFor(config.epochs, nominal, config.batchSize)
  const sampleRate = Math.min(1, config.batchSize / nominal)
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
    privacy?.noiseMultiplier ?? (hooks.clipWithoutNoise ? 0 : undefined),
    hooks.onStep ? (report) => hooks.onStep?.(report, epsilonAfter(report.step)) : undefined,
  )
  const trainSeconds = (Date.now() - started) / 1000
  const onnxBytes = exportMlpToOnnx(model)
  const onnx = await checkOnnxAgainstTrainer(onnxBytes, model, evaluation)
  const trainerAccuracy = evaluateMlp(model, evaluation).accuracy
  // A loss-threshold attack scores every member: an exact statistic of the training records, so it
  // runs only where those records are public (the proxy); served models are audited by canaries on
  // the proxy instead (training/audit/served-audit.ts).
  const audit =
    hooks.skipAudit || evaluationName !== 'test' || isPrivateRecordSet(config.dataset)
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
  observe?: StepObserver,
): { model: Mlp; result: TrainResult } {
  // scatter28-v1 features are normalized per image by the transform itself.
  const normalization =
    config.features === 'scatter28-v1' ? { mean: 0, std: 1 } : PUBLIC_NORMALIZATION[config.dataset]
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
      observe,
      dp:
        noiseMultiplier === undefined
          ? undefined
          : {
              noiseMultiplier,
              clippingNorm: config.clippingNorm,
              nominalSize: config.nominalTrainSize,
            },
    },
    onStep,
  )
  return { model, result }
}
