/**
 * Progress of a session, step by step, for interfaces that show where the time goes (the demo page's
 * step list, a CLI's verbose output). Timings are wall-clock milliseconds on this side; `bytes` is the
 * size of what was sent or received in that step.
 */
export type SessionStepName = 'make-keys' | 'upload-keys' | 'encrypt' | 'server' | 'decrypt'

export interface SessionStep {
  step: SessionStepName
  ms: number
  /** make-keys / upload-keys: the evaluation keys' size; encrypt: the query; server: the result. */
  bytes?: number
}

/** Called once per finished step. */
export type OnSessionStep = (step: SessionStep) => void

/** Runs `work`, reports its time (and the size `bytesOf` reads from its result) to `onStep`. */
export async function timedStep<T>(
  onStep: OnSessionStep | undefined,
  step: SessionStepName,
  work: () => T | Promise<T>,
  bytesOf?: (result: T) => number,
): Promise<T> {
  const started = performance.now()
  const result = await work()
  onStep?.({
    step,
    ms: performance.now() - started,
    ...(bytesOf !== undefined ? { bytes: bytesOf(result) } : {}),
  })
  return result
}
