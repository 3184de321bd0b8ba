/**
 * The model card: everything a client needs to use a served model, and everything a user should know
 * about it (HE parameters, slot layouts, privacy guarantee, accuracy, audit). Written by
 * `privinfer import` / `privinfer train` to models/<id>/card.json and served by GET /v1/models/{id}.
 *
 * This file is the contract between compiler, trainer, service and client. Extend it; do not rename.
 */
import type { Postprocessing } from './postprocessing.ts'

/**
 * Public, data-independent preprocessing the client applies before encryption.
 * - none: the input vector is used as given (flattened row-major, inputSize elements).
 * - avgpool: the raw input is an image of shape [height, width] (row-major); it is reduced by
 *   non-overlapping `pool` x `pool` averages to [height/pool, width/pool], flattened row-major.
 * - scattering: a fixed scattering network computed in the clear (core/features/scattering.ts);
 *   `transform` names the exact version ('scatter28-v1': 28x28 image in [0, 1] -> 1001 features,
 *   specified in docs/api.md).
 */
export type InputPreprocessing =
  | { kind: 'none' }
  | { kind: 'avgpool'; height: number; width: number; pool: number }
  | { kind: 'scattering'; transform: 'scatter28-v1'; height: 28; width: 28 }

/** Closed interval of raw input values (core/card.ts ModelCard.input.range). */
export interface InputRange {
  min: number
  max: number
}

/**
 * Where the (preprocessed) input vector x, of length `inputSize`, sits in the CKKS slots.
 * For each block, slot (slotStart + q), 0 <= q < length, holds x[inputOffset + q] when
 * 0 <= inputOffset + q < inputSize, and 0 otherwise. Slots outside every block hold 0.
 * Blocks never overlap. A plain replicated layout with period P is blocks
 * {slotStart: k*P, length: P, inputOffset: 0}; pre-rotated replicas have other inputOffsets.
 */
export interface InputLayout {
  slotCount: number
  inputSize: number
  blocks: Array<{ slotStart: number; length: number; inputOffset: number }>
}

/**
 * Where the outputs sit in the decrypted slots: output[j] = sum_{t < copies} slot[offset + j + t * period]
 * for 0 <= j < outputSize. copies = 1 means no client-side summation.
 */
export interface OutputLayout {
  slotCount: number
  outputSize: number
  offset: number
  period: number
  copies: number
}

export interface HeCard {
  scheme: 'ckks'
  securityLevel: 128
  polyModulusDegree: number
  /** Bit sizes of the coefficient modulus primes, the last one being the special (key-switching) prime. */
  coeffModulusBits: number[]
  scaleBits: number
  /** SEAL-serialized EncryptionParameters (compression none), base64. */
  encryptionParametersBase64: string
  /** Multiplicative depth consumed by the plan. */
  depth: number
  /** Rotation steps for which the client must generate Galois keys (and no others). */
  galoisSteps: number[]
  needsRelinKeys: boolean
  /** Level (number of data primes minus one) of the ciphertext the client must send / will receive. */
  inputLevel: number
  outputLevel: number
  /** Human-readable reasons behind N, the chain and the scale. */
  reasons: string[]
  /** Counted from the plan: rotations, plaintext products, ciphertext products, rescales. */
  opCounts: Record<string, number>
  /**
   * Present when the service floods every result (compile option floodNoise; docs/threat-model.md):
   * the client then uploads its public key with the evaluation keys.
   */
  flooding?: FloodingCard
}

/** Noise flooding of results and its cost (service/compiler/flooding.ts derives every field). */
export interface FloodingCard {
  /** λ: the flood is 2^λ times the circuit noise bound. */
  securityBits: number
  /** log2 of the circuit noise bound B_c per coefficient of the decrypted polynomial. */
  noiseBoundBits: number
  /** k: the flood is uniform in [-2^k, 2^k) per coefficient. */
  floodBits: number
  /** log2 of the statistical distance per result from a weight-independent law: log2(N) - λ - 1. */
  statisticalDistanceLog2: number
  /** Output tolerance without the flood (value units, 6 standard deviations). */
  circuitTolerance: number
  /** Standard deviation the flood adds to each output (value units). */
  floodDeviation: number
  /** Output tolerance with the flood: the precision the client gets. */
  outputTolerance: number
  /** Modulus bits left at the output level above the flooded result. */
  headroomBits: number
  /** Extra modulus bits that would keep the unflooded precision: about (depth + 1)·(λ + 2). */
  extraModulusBitsForSamePrecision: number
}

/**
 * A model's batch plan (`privinfer import --batch K`): up to `maxBatch` inputs of ONE key holder per
 * query, on the same CKKS parameters and key set as the single-input plan (`he`), whose Galois steps
 * already include the batch plan's. Two packings (docs/api.md "Batch queries" has the exact packing):
 * - lanes (block packing): one ciphertext; input k of the batch sits in lane k, i.e. virtual slot v
 *   of `input.layout` (slotCount = N/2 / lanes) is real slot v·lanes + k; outputs likewise per
 *   `output.layout` (virtual slots). Rotations by multiples of `lanes` never mix inputs.
 * - features ("one input per slot", CryptoNets): `inputCiphertexts` ciphertexts, ciphertext i holding
 *   feature i (after preprocessing) of input k in slot k; `outputCiphertexts` results, result j
 *   holding output j of input k in slot k. No rotations.
 * Slots of unused batch positions (a partial batch) are 0 on input and meaningless on output.
 */
export type BatchCard = (
  | {
      packing: 'lanes'
      maxBatch: number
      lanes: number
      input: { layout: InputLayout }
      output: { layout: OutputLayout }
      inputLevel: number
      outputLevel: number
      opCounts: Record<string, number>
      reasons: string[]
    }
  | {
      packing: 'features'
      maxBatch: number
      inputCiphertexts: number
      outputCiphertexts: number
      inputLevel: number
      outputLevel: number
      opCounts: Record<string, number>
      reasons: string[]
    }
) & {
  /** The batch plan under encryption vs onnxruntime (privinfer import), when measured. */
  comparison?: HeComparison
}

export type BatchPacking = BatchCard['packing']

export interface HeComparison {
  /** Number of calibration/test inputs compared. */
  inputs: number
  /** max |HE output - onnxruntime output| over all inputs and outputs. */
  maxAbsError: number
  /** Bound derived from the scale and plan that maxAbsError must stay under. */
  tolerance: number
  argmaxAgreement: number
}

/** One activation the compiler replaced by polynomials (`privinfer import`, card.approximation). */
export interface ApproximatedNode {
  /** The ONNX node names the polynomial stands for, joined by '+' (SiLU: Sigmoid+Mul). */
  node: string
  /** Their ONNX op types, in the same order. */
  ops: string[]
  /** The function, e.g. "relu(x)" or "x·sigmoid(x)". */
  function: string
  /** fit: a least-squares polynomial in place of the function; exact: a trained polynomial. */
  method: 'fit' | 'exact'
  degree: number
  /** Calibrated range of the pre-activations, over all features. */
  range: [number, number]
  /** The fitted interval: each feature's range widened by `margin` of its half-width each side. */
  interval: [number, number]
  margin: number
  /** max |polynomial − function| over every feature's interval. */
  maxFitError: number
  /** RMS of polynomial − function over the calibration samples, relative to RMS of the function. */
  relativeRmsError: number
}

/**
 * What the compiler approximated, and how the approximated model (float64, no encryption) agrees
 * with the ONNX model run by onnxruntime on the calibration inputs.
 */
export interface ApproximationCard {
  nodes: ApproximatedNode[]
  check: {
    inputs: number
    /** Fraction of inputs with the same decision (argmax; threshold for one output). */
    agreement: number
    /** max |approximated − onnxruntime| over every output (after post-processing). */
    maxAbsDifference: number
  }
}

export interface PrivacyCard {
  epsilon: number
  delta: number
  accountant: 'rdp' | 'prv'
  epsilonRdp: number
  epsilonPrv: number
  noiseMultiplier: number
  sampleRate: number
  steps: number
  epochs: number
  clippingNorm: number
  notes?: string[]
  /** How the noise is drawn and added (e.g. discrete Gaussian on a grid, full batch). */
  mechanism?: string
  /** Public training-set size that fixes q, the steps and the normalizer. */
  nominalTrainSize?: number
  /**
   * The record set the model trained on and every release from it, with the total epsilon of what a
   * default deployment serves and of everything in the repository (training/record-sets.ts).
   */
  recordSet?: {
    id: string
    description: string
    records: number
    releases: Array<{
      release: string
      epsilon: number | null
      delta: number | null
      servedByDefault: boolean
    }>
    totalServedByDefault: { epsilon: number; delta: number }
    totalInRepository: { epsilon: number | null; delta: number | null }
    notes: string[]
  }
}

export interface ModelCard {
  formatVersion: 1
  id: string
  title: string
  description: string
  /** True for models trained without differential privacy (labelled as such everywhere). */
  nonPrivate: boolean
  onnxFile: string
  labels: string[]
  input: {
    /** Raw input element count before preprocessing (e.g. 784 for a 28x28 image). */
    rawSize: number
    /** Model input element count after preprocessing (the ONNX input's size). */
    size: number
    preprocessing: InputPreprocessing
    layout: InputLayout
    /**
     * The values the raw input may take (before preprocessing), e.g. {min: 0, max: 1} for images
     * scaled to [0, 1]. The client rejects values outside it (INPUT_INVALID). Absent: unchecked.
     */
    range?: InputRange
  }
  output: {
    size: number
    layout: OutputLayout
    /**
     * Applied by the client after decryption (core/postprocessing.ts): the ONNX graph's trailing
     * Softmax / LogSoftmax / Sigmoid, which the plan does not evaluate. Absent: none.
     */
    postprocessing?: Postprocessing
  }
  he: HeCard
  /** Most inputs per query (1, or card.batch.maxBatch when the model has a batch plan). */
  maxBatch?: number
  /** The batch plan, when the model was imported with --batch K. */
  batch?: BatchCard
  comparison?: HeComparison
  /** Activations replaced by polynomials (absent when the model is polynomial). */
  approximation?: ApproximationCard
  privacy?: PrivacyCard | null
  data?: { dataset: string; trainSize: number; testSize: number; testIndicesFile?: string }
  accuracy?: { plaintext: number; he: number; nonPrivateTwin?: number; testExamples: number }
  audit?: Record<string, unknown>
  training?: Record<string, unknown>
  createdAt: string
}

/**
 * A model as listed by GET /v1/models (the service sends it, the client reads it): enough to choose a
 * model and to know what it protects, without its layouts.
 */
export interface ModelSummary {
  id: string
  title: string
  description: string
  nonPrivate: boolean
  labels: string[]
  /** The raw input size, before preprocessing (card.input.rawSize). */
  inputSize: number
  outputSize: number
  polyModulusDegree: number
  /** DP guarantee of the training data; null for a non-private model. */
  epsilon: number | null
  delta: number | null
  accuracy: ModelCard['accuracy'] | null
  /** "DP epsilon=3.00, delta=1e-5" or "NON-PRIVATE" (privacyLabel). */
  privacyLabel: string
  /** The dataset of the model's public test split (card.data.dataset), when known. */
  dataset: string | null
  he: Pick<
    HeCard,
    'coeffModulusBits' | 'scaleBits' | 'depth' | 'galoisSteps' | 'needsRelinKeys' | 'inputLevel'
  >
  /** The model served when a client names none (DEFAULT_MODEL, else mnist-dp): listed first. */
  default: boolean
}

/** @param isDefault whether the catalog serves this model by default (it lists it first). */
export function summarizeCard(card: ModelCard, isDefault = false): ModelSummary {
  return {
    id: card.id,
    title: card.title,
    description: card.description,
    nonPrivate: card.nonPrivate,
    labels: card.labels,
    inputSize: card.input.rawSize,
    outputSize: card.output.size,
    polyModulusDegree: card.he.polyModulusDegree,
    epsilon: card.privacy?.epsilon ?? null,
    delta: card.privacy?.delta ?? null,
    accuracy: card.accuracy ?? null,
    privacyLabel: privacyLabel(card),
    dataset: card.data?.dataset ?? null,
    he: {
      coeffModulusBits: card.he.coeffModulusBits,
      scaleBits: card.he.scaleBits,
      depth: card.he.depth,
      galoisSteps: card.he.galoisSteps,
      needsRelinKeys: card.he.needsRelinKeys,
      inputLevel: card.he.inputLevel,
    },
    default: isDefault,
  }
}

/**
 * The one-line privacy status shown beside every result: "DP epsilon=3.00, delta=1e-5" for a model
 * with a DP guarantee, "NON-PRIVATE" otherwise.
 */
export function privacyLabel(card: Pick<ModelCard, 'nonPrivate' | 'privacy'>): string {
  const privacy = card.privacy
  if (card.nonPrivate || !privacy || !Number.isFinite(privacy.epsilon)) return 'NON-PRIVATE'
  return `DP epsilon=${privacy.epsilon.toFixed(2)}, delta=${privacy.delta.toExponential()}`
}

/** The guarantee a model needs to be served by default (docs/privacy.md). */
export const DEFAULT_PRIVACY_POLICY = { maxEpsilon: 3, maxDelta: 1e-5 } as const

/**
 * Whether the service loads the model without the operator opting in: a DP guarantee with finite
 * epsilon <= 3 (calibration lands a hair below) at delta <= 1e-5.
 */
export function meetsDefaultPrivacyPolicy(
  card: Pick<ModelCard, 'nonPrivate' | 'privacy'>,
): boolean {
  const privacy = card.privacy
  return (
    !card.nonPrivate &&
    privacy !== null &&
    privacy !== undefined &&
    Number.isFinite(privacy.epsilon) &&
    privacy.epsilon <= DEFAULT_PRIVACY_POLICY.maxEpsilon &&
    privacy.delta <= DEFAULT_PRIVACY_POLICY.maxDelta
  )
}
