/**
 * The hyperparameters of the served models (chosen on validation splits: training/tuning/*.json),
 * shared by the documented `privinfer train` commands (see each card) and the epsilon sweep.
 */
import type { TrainingConfig } from './pipeline.ts'

const MNIST_COMMON = {
  dataset: 'mnist',
  hidden: [128],
  activation: 'poly',
  pool: 2,
  optimizer: 'adam',
  seed: 1,
  weightGain: 1,
  polyA: 0.1,
} as const

export const RECIPES: Record<string, TrainingConfig> = {
  'mnist-dp': {
    ...MNIST_COMMON,
    hidden: [128],
    privacy: { epsilon: 3, delta: 1e-5 },
    epochs: 40,
    batchSize: 2048,
    learningRate: 0.01,
    schedule: 'constant',
    clippingNorm: 0.5,
    emaDecay: 0.95,
  },
  'mnist-nonprivate': {
    ...MNIST_COMMON,
    hidden: [128],
    epochs: 20,
    batchSize: 64,
    learningRate: 0.002,
    schedule: 'cosine',
    clippingNorm: 1,
  },
  'fashion-mnist-dp': {
    ...MNIST_COMMON,
    dataset: 'fashion-mnist',
    hidden: [128],
    privacy: { epsilon: 3, delta: 1e-5 },
    epochs: 25,
    batchSize: 4096,
    learningRate: 0.01,
    schedule: 'constant',
    clippingNorm: 1,
    emaDecay: 0.95,
  },
  'fashion-mnist-nonprivate': {
    ...MNIST_COMMON,
    dataset: 'fashion-mnist',
    hidden: [128],
    epochs: 10,
    batchSize: 128,
    learningRate: 0.002,
    schedule: 'cosine',
    clippingNorm: 1,
  },
}
