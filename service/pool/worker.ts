/**
 * The pool's worker thread (piscina). At start it loads SEAL once and every model's plan (all
 * plaintexts encoded once, service/runtime); then it answers WorkerTasks one at a time. It keeps a
 * bounded LRU cache of loaded key sets by key id. All HE work of the service runs here, never on the
 * HTTP event loop.
 */
import { threadId, workerData } from 'node:worker_threads'
import { move, transferableSymbol, valueSymbol } from 'piscina'
import { isPrivinferError } from '../../core/errors.ts'
import { callSeal } from '../../core/seal/exceptions.ts'
import { loadSeal } from '../../core/seal/load.ts'
import { KeyCache } from './key-cache.ts'
import type { WorkerResult, WorkerStartData, WorkerTask } from './messages.ts'
import { createModelEngine, type LoadedKeys, type ModelEngine } from './model-engine.ts'

async function start(): Promise<(task: WorkerTask) => WorkerResult> {
  const data = workerData as WorkerStartData
  const seal = await loadSeal()
  const engines = new Map<string, ModelEngine>()
  for (const model of data.models)
    engines.set(model.card.id, await createModelEngine(seal, model.card, model.compiled))
  const keyCache = new KeyCache<LoadedKeys>(data.keyCacheBytes)

  const engineOf = (modelId: string): ModelEngine => {
    const engine = engines.get(modelId)
    // The HTTP side checks model ids first; reaching this is a bug, reported as INTERNAL.
    if (!engine) throw new Error(`worker has no model '${modelId}'`)
    return engine
  }

  const handle = (task: WorkerTask): WorkerResult => {
    switch (task.kind) {
      case 'warmup':
        return { kind: 'ready', threadId, models: [...engines.keys()] }
      case 'validate-keys': {
        engineOf(task.modelId).loadKeys(task.galoisKeys, task.relinKeys, task.publicKey).delete()
        return { kind: 'valid' }
      }
      case 'merge': {
        const started = performance.now()
        const startedCpu = threadCpuMs()
        const output = engineOf(task.modelId).mergeParts(task.outputs)
        return transferred(
          {
            kind: 'output',
            output,
            ms: performance.now() - started,
            cpuMs: threadCpuMs() - startedCpu,
          },
          [output.buffer],
        )
      }
      case 'infer':
      case 'infer-batch':
      case 'infer-part': {
        const engine = engineOf(task.modelId)
        const cacheKey = `${task.modelId}/${task.keyId}`
        let keys = keyCache.get(cacheKey)
        let uncached: LoadedKeys | undefined
        if (!keys) {
          if (!task.keys) return { kind: 'need-keys' }
          keys = engine.loadKeys(task.keys.galoisKeys, task.keys.relinKeys, task.keys.publicKey)
          // A key set larger than the whole cache is used once and freed.
          if (!keyCache.set(cacheKey, keys, task.keyExpiresAtMs, engine.loadedKeyBytes(keys)))
            uncached = keys
        }
        const started = performance.now()
        const startedCpu = threadCpuMs()
        try {
          if (task.kind === 'infer-batch') {
            const outputs = engine.inferBatch(keys, task.inputs)
            return transferred(
              {
                kind: 'outputs',
                outputs,
                ms: performance.now() - started,
                cpuMs: threadCpuMs() - startedCpu,
              },
              outputs.map((output) => output.buffer),
            )
          }
          const output =
            task.kind === 'infer-part'
              ? engine.inferPart(keys, task.part, task.input)
              : engine.infer(keys, task.input)
          return transferred(
            {
              kind: 'output',
              output,
              ms: performance.now() - started,
              cpuMs: threadCpuMs() - startedCpu,
            },
            [output.buffer],
          )
        } finally {
          uncached?.delete()
        }
      }
    }
  }

  return (task) => {
    try {
      // callSeal: a C++ exception anywhere in a task (e.g. during evaluation) must not leave the
      // WebAssembly stack lowered; node-seal 7 leaks it otherwise (core/seal/README.md).
      return callSeal(seal, () => handle(task))
    } catch (error) {
      if (isPrivinferError(error)) {
        return {
          kind: 'error',
          code: error.code,
          message: error.message,
          details: { ...error.details },
        }
      }
      throw error
    }
  }
}

/**
 * This thread's CPU time (ms): a worker's busy wall time also counts the time other processes hold
 * the cores, which is most of it on a loaded machine.
 */
function threadCpuMs(): number {
  const { user, system } = process.threadCpuUsage()
  return (user + system) / 1000
}

/**
 * Marks a result whose ArrayBuffer is transferred, not copied, to the main thread (piscina's
 * transferable protocol: piscina sends `value` with `buffer` in the transfer list).
 */
function transferred(value: WorkerResult, buffers: ArrayBufferLike[]): WorkerResult {
  const wrapper = {
    get [transferableSymbol]() {
      return buffers
    },
    get [valueSymbol]() {
      return value
    },
  }
  // move() marks the wrapper movable (a private piscina mark), so piscina unwraps it.
  return move(wrapper as unknown as Parameters<typeof move>[0]) as unknown as WorkerResult
}

// piscina awaits an exported promise of the handler: the worker counts as started once SEAL and the
// plans are loaded.
export default start()
