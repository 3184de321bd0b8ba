/**
 * The trainer's part of models/<id>/card.json (core/card.ts ModelCard): privacy, data, accuracy,
 * audit, training. The HE part (he, comparison, input.layout, output.layout) comes from the compiler
 * (B2's compileModel, or `privinfer import` afterwards); until then those fields are absent.
 */
import type { HeCard, HeComparison, InputLayout, ModelCard, OutputLayout } from '../../core/card.ts'
import type { AttackResult } from '../audit/loss-threshold.ts'
import type { ServedAudit } from '../audit/served-audit.ts'
import { GRID_BITS } from '../dp-sgd/privatize.ts'
import { isPrivateRecordSet, type TrainingOutcome } from '../pipeline.ts'
import { recordSetBudget } from '../record-sets.ts'

/** A ModelCard whose HE fields may still be missing (before compilation). */
export type TrainingCard = Omit<ModelCard, 'he' | 'input' | 'output'> & {
  input: Omit<ModelCard['input'], 'layout'> & { layout?: InputLayout }
  output: { size: number; layout?: OutputLayout }
  he?: HeCard
  comparison?: HeComparison
}

export interface CardInputs {
  id: string
  outcome: TrainingOutcome
  /** Accuracy of the HE evaluation on the full test split, NaN when not measured. */
  heAccuracy: number
  /** Test accuracy of the non-private twin (read from its card), if known. */
  nonPrivateTwin?: { id: string; accuracy: number }
  /** Stronger attacks (shadow models) to add beside the loss-threshold one. */
  extraAttacks?: AttackResult[]
  /** The audit of the twin, when run in the same command. */
  twinAudit?: AttackResult[]
  tuning?: unknown
  /** The canary audit of the recipe on the public proxy (served models). */
  servedAudit?: ServedAudit
  /** The documented command that reproduces the model (e.g. privinfer train --recipe mnist-dp). */
  command?: string
}

export const TUNING_ON_PROXY =
  "Hyperparameters and the feature transform were chosen on the public Fashion-MNIST proxy (records disjoint from every served training set, training/tuning/scatter-linear-proxy.json): no tuning run touched this model's training records."

export const TUNING_NOT_COUNTED =
  'Hyperparameters were chosen on a validation split carved from the training set; these tuning runs are NOT counted in epsilon (the stated epsilon covers the final training run only).'

export function buildTrainingCard(inputs: CardInputs): TrainingCard {
  const { id, outcome } = inputs
  const { config, privacy, splits } = outcome
  const nonPrivate = privacy === null
  const datasetTitle = config.dataset === 'mnist' ? 'MNIST digits' : 'Fashion-MNIST'
  const architecture = [outcome.train.inputSize, ...config.hidden, 10].join('-')
  const activationText = config.activation === 'square' ? 'x^2' : 'a*x^2 + b*x'
  const scattering = config.features === 'scatter28-v1'
  const privateRecords = isPrivateRecordSet(config.dataset)
  const modelText = scattering
    ? `linear classifier ${architecture} on scatter28-v1 scattering features (computed by the client before encryption)`
    : `${architecture} MLP with ${activationText} activation`
  const recordSet =
    privacy && privateRecords
      ? recordSetBudget(config.dataset, {
          id,
          epsilon: privacy.epsilonRdp,
          delta: privacy.delta,
        })
      : undefined
  return {
    formatVersion: 1,
    id,
    title: nonPrivate
      ? `NON-PRIVATE: ${datasetTitle} ${scattering ? `linear ${architecture} on scattering features` : `MLP ${architecture}`} (no DP)`
      : `${datasetTitle} ${scattering ? `linear ${architecture} on scattering features` : `MLP ${architecture}`} (DP, epsilon ${round(privacy.epsilonRdp, 2)})`,
    description: nonPrivate
      ? `NON-PRIVATE: ${modelText} on ${datasetTitle}, trained WITHOUT differential privacy (its training data has no formal protection).`
      : `${modelText} on ${datasetTitle}, trained with ${config.batchSize >= (config.nominalTrainSize ?? Infinity) ? 'full-batch DP gradient descent' : 'DP-SGD'} and discrete Gaussian noise: (${round(privacy.epsilonRdp, 3)}, ${privacy.delta})-DP for the training examples (RDP accountant).`,
    nonPrivate,
    onnxFile: 'model.onnx',
    labels: outcome.train.labelNames,
    input: {
      rawSize: splits.train.inputSize,
      size: outcome.train.inputSize,
      preprocessing: outcome.preprocessing,
      // Raw images are intensities in [0, 1] (training/data/dataset.ts); the client checks it.
      range: { min: 0, max: 1 },
    },
    output: { size: 10 },
    privacy: privacy && privacyOf(outcome, privacy, { scattering, recordSet }),
    data: {
      dataset: config.dataset,
      trainSize: outcome.train.count,
      testSize: outcome.evaluation.count,
      testIndicesFile: 'test-indices.json',
    },
    accuracy: {
      plaintext: outcome.onnx.accuracy,
      he: inputs.heAccuracy,
      ...(inputs.nonPrivateTwin ? { nonPrivateTwin: inputs.nonPrivateTwin.accuracy } : {}),
      testExamples: outcome.evaluation.count,
    },
    audit: auditOf(inputs),
    training: trainingOf(inputs, { architecture, scattering, privateRecords }),
    createdAt: new Date().toISOString(),
  }
}

/** The card's privacy block: what anyone needs to recompute epsilon, and what it covers. */
function privacyOf(
  outcome: TrainingOutcome,
  privacy: NonNullable<TrainingOutcome['privacy']>,
  {
    scattering,
    recordSet,
  }: { scattering: boolean; recordSet: ReturnType<typeof recordSetBudget> | undefined },
): NonNullable<TrainingCard['privacy']> {
  const { config } = outcome
  return {
    epsilon: privacy.epsilonRdp,
    delta: privacy.delta,
    accountant: 'rdp',
    epsilonRdp: privacy.epsilonRdp,
    epsilonPrv: privacy.epsilonPrv,
    noiseMultiplier: privacy.noiseMultiplier,
    sampleRate: privacy.sampleRate,
    steps: privacy.steps,
    epochs: config.epochs,
    clippingNorm: config.clippingNorm,
    mechanism: `discrete Gaussian noise (Canonne, Kamath, Steinke 2020) on the gradient sum rounded to a grid of C 2^-${GRID_BITS}, sigma_Z = sigma (C/gamma + 2 sqrt(d)); ${privacy.sampleRate === 1 ? 'full batch (q = 1, no subsampling)' : 'Poisson subsampling'}`,
    ...(config.nominalTrainSize === undefined ? {} : { nominalTrainSize: config.nominalTrainSize }),
    ...(recordSet ? { recordSet } : {}),
    notes: [
      `Target epsilon ${config.privacy?.epsilon}; sigma calibrated with the RDP accountant (best order ${round(privacy.bestOrder, 2)}). Recompute: privinfer dp epsilon --sample-rate ${privacy.sampleRate} --noise-multiplier ${privacy.noiseMultiplier} --steps ${privacy.steps} --delta ${privacy.delta}.`,
      privacy.sampleRate === 1
        ? `At q = 1 the accountant composes ${privacy.steps} Gaussian mechanisms: Renyi DP alpha T / (2 sigma^2), which bounds the discrete Gaussian too (its Renyi divergence for integer shifts is at most the continuous one's). epsilonPrv (${Number.isNaN(privacy.epsilonPrv) ? 'n/a' : round(privacy.epsilonPrv, 3)}) is the PRV accountant for the continuous Gaussian (worse of add and remove), a reference only.`
        : 'epsilonPrv is the PRV accountant (worse of add and remove) for the continuous subsampled Gaussian, reported beside.',
      'Unit of privacy: one training example (add/remove adjacency). The sampling rate, steps and normalizer come from the published nominal training-set size, not from the data.',
      'Noise comes from node:crypto (OS CSPRNG) through an exact integer sampler; initialization and data splits are seeded.',
      scattering ? TUNING_ON_PROXY : TUNING_NOT_COUNTED,
    ],
  }
}

/** The served model's canary audit, or the membership-inference attacks for other models. */
function auditOf(inputs: CardInputs): TrainingCard['audit'] {
  const { outcome } = inputs
  return inputs.servedAudit
    ? { kind: 'canary one-run audit on the public proxy', ...inputs.servedAudit }
    : {
        description:
          'Membership inference: members = training examples, non-members = held-out test examples, balanced. Score > threshold = "member". AUC 0.5 and TPR = FPR mean no measurable leakage by this attack.',
        attacks: [outcome.audit, ...(inputs.extraAttacks ?? [])].filter(
          (attack) => attack !== null,
        ),
        ...(inputs.twinAudit
          ? { nonPrivateTwin: { id: inputs.nonPrivateTwin?.id, attacks: inputs.twinAudit } }
          : {}),
      }
}

/** How the model was trained: the reproducing command, the recipe and the checks. */
function trainingOf(
  inputs: CardInputs,
  {
    architecture,
    scattering,
    privateRecords,
  }: { architecture: string; scattering: boolean; privateRecords: boolean },
): TrainingCard['training'] {
  const { id, outcome } = inputs
  const { config, result, splits } = outcome
  const nonPrivate = outcome.privacy === null
  return {
    command:
      inputs.command ??
      commandFor(id, config, (inputs.tuning as { file?: string } | undefined)?.file),
    dataSource: splits.source,
    architecture,
    activation: config.activation,
    activationCoefficients: outcome.model.activationOffsets.map((offset) => ({
      a: outcome.model.params[offset],
      b: outcome.model.params[offset + 1],
    })),
    inputNormalization: {
      mean: outcome.model.shape.inputMean,
      std: outcome.model.shape.inputStd,
      foldedIntoFirstLayer: true,
    },
    optimizer: config.optimizer,
    learningRate: config.learningRate,
    schedule: config.schedule,
    emaDecay: config.emaDecay ?? null,
    epochs: config.epochs,
    batchSize: config.batchSize,
    expectedBatchSize: nonPrivate
      ? undefined
      : result.sampleRate * (config.nominalTrainSize ?? outcome.train.count),
    // Realized batch sizes and the clipped fraction are exact statistics of the training records:
    // released only for public record sets.
    ...(privateRecords
      ? {}
      : { meanRealizedBatchSize: result.meanBatchSize, clippedFraction: result.clippedFraction }),
    steps: result.steps,
    clippingNorm: nonPrivate ? undefined : config.clippingNorm,
    features: config.features ?? 'pixels',
    seed: config.seed,
    weightGain: config.weightGain,
    trainSeconds: outcome.trainSeconds,
    onnxCheck: {
      runtime: 'onnxruntime-node',
      maxAbsLogitError: outcome.onnx.maxAbsLogitError,
      argmaxDisagreements: outcome.onnx.argmaxDisagreements,
      trainerAccuracy: outcome.trainerAccuracy,
    },
    ...(scattering
      ? { tuning: inputs.tuning ?? { file: 'training/tuning/scatter-linear-proxy.json' } }
      : { tuning: inputs.tuning ?? null, tuningNotCountedInEpsilon: TUNING_NOT_COUNTED }),
    machine: 'shared 2-core VM, Node 24, nice -n 10',
  }
}

/** The one command that reproduces this model (seeded except the DP noise). */
export function commandFor(
  id: string,
  config: TrainingOutcome['config'],
  tuningFile?: string,
): string {
  const parts = [
    'nice -n 10 npx privinfer train',
    `--dataset ${config.dataset}`,
    config.privacy
      ? `--epsilon ${config.privacy.epsilon} --delta ${config.privacy.delta}`
      : '--non-private',
    `--id ${id}`,
    `--hidden ${config.hidden.join(',')}`,
    `--activation ${config.activation}`,
    `--pool ${config.pool}`,
    `--epochs ${config.epochs}`,
    `--batch-size ${config.batchSize}`,
    `--optimizer ${config.optimizer}`,
    `--lr ${config.learningRate}`,
    `--schedule ${config.schedule}`,
    config.privacy ? `--clip ${config.clippingNorm}` : '',
    `--weight-gain ${config.weightGain}`,
    config.activation === 'poly' ? `--poly-a ${config.polyA}` : '',
    config.emaDecay === undefined ? '' : `--ema ${config.emaDecay}`,
    `--seed ${config.seed}`,
    tuningFile ? `--tuning ${tuningFile}` : '',
  ]
  return parts.filter((part) => part !== '').join(' ')
}

function round(value: number, digits: number): number {
  return Number(value.toFixed(digits))
}
