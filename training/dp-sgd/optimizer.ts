/**
 * First-order optimizers on a flat parameter vector: Adam (Kingma & Ba 2015, arXiv:1412.6980) and
 * SGD with (heavy-ball) momentum. They only see the already-privatized gradient, so they add no
 * privacy cost (post-processing).
 */
export type OptimizerKind = 'adam' | 'sgd'

export interface OptimizerOptions {
  kind: OptimizerKind
  /** Learning rate (step size, parameter units per gradient unit). */
  learningRate: number
  /** SGD momentum, default 0.9. */
  momentum?: number
  /** Adam moment decays, default 0.9 / 0.999; epsilon default 1e-8. */
  beta1?: number
  beta2?: number
  epsilon?: number
}

export interface Optimizer {
  /** Updates `params` in place with `gradient` (same layout); `learningRate` overrides per step (schedules). */
  step(params: Float64Array, gradient: Float64Array, learningRate?: number): void
}

export function createOptimizer(options: OptimizerOptions, parameterCount: number): Optimizer {
  if (options.kind === 'sgd') {
    const velocity = new Float64Array(parameterCount)
    const momentum = options.momentum ?? 0.9
    return {
      step(params, gradient, learningRate = options.learningRate) {
        for (let i = 0; i < params.length; i++) {
          velocity[i] = momentum * velocity[i] + gradient[i]
          params[i] -= learningRate * velocity[i]
        }
      },
    }
  }
  const beta1 = options.beta1 ?? 0.9
  const beta2 = options.beta2 ?? 0.999
  const epsilon = options.epsilon ?? 1e-8
  const first = new Float64Array(parameterCount)
  const second = new Float64Array(parameterCount)
  let t = 0
  return {
    step(params, gradient, learningRate = options.learningRate) {
      t++
      const correction1 = 1 - beta1 ** t
      const correction2 = 1 - beta2 ** t
      for (let i = 0; i < params.length; i++) {
        const g = gradient[i]
        first[i] = beta1 * first[i] + (1 - beta1) * g
        second[i] = beta2 * second[i] + (1 - beta2) * g * g
        params[i] -=
          (learningRate * (first[i] / correction1)) / (Math.sqrt(second[i] / correction2) + epsilon)
      }
    },
  }
}
