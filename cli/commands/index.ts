/**
 * The command table of the `privinfer` CLI. Each command lives in its own file and exports
 * `command: Command`. Modules are loaded lazily so `privinfer dp ...` does not load SEAL or onnxruntime.
 */
export interface Command {
  name: string
  summary: string
  usage: string
  run(argv: string[]): Promise<void>
}

export const COMMANDS: Record<
  string,
  { summary: string; load: () => Promise<{ command: Command }> }
> = {
  import: {
    summary: 'compile an ONNX model into an HE plan and model card',
    load: () => import('./import.ts'),
  },
  infer: {
    summary: 'encrypted round trip on this machine (keys, encrypt, plan, decrypt)',
    load: () => import('./infer.ts'),
  },
  evaluate: {
    summary: 'HE vs onnxruntime accuracy on test data (locally or --server)',
    load: () => import('./evaluate.ts'),
  },
  bench: {
    summary: 'server time, per-layer times, key and ciphertext sizes',
    load: () => import('./bench.ts'),
  },
  dp: { summary: 'privacy accountant: dp epsilon | dp sigma', load: () => import('./dp.ts') },
  train: {
    summary: 'train an MLP with DP-SGD, export ONNX, compile, write the card',
    load: () => import('./train.ts'),
  },
  serve: { summary: 'run the REST service', load: () => import('./serve.ts') },
  predict: {
    summary: 'encrypted prediction through a running service',
    load: () => import('./predict.ts'),
  },
  models: {
    summary: 'list models with their DP status and accuracies (local or --server)',
    load: () => import('./models.ts'),
  },
}
