/**
 * A bounded LRU cache of loaded key sets (SEAL objects) in one worker, bounded in **bytes**: a key
 * set's size depends on the model (mnist-mlp about 9 MB loaded, mnist-dp about 19 MB; a model at
 * N = 16384 several times more), so a bound in entries bounds nothing. Evicted and expired entries
 * are freed with `.delete()` at once: SEAL objects live on the WebAssembly heap, not the JS heap,
 * and that heap never shrinks, so the bound is what keeps a worker's memory flat
 * (`npm run bench:load`, docs/load.md).
 *
 * An entry larger than the whole budget is not cached (the caller frees it after use).
 */

export interface Deletable {
  delete(): void
}

interface Entry<V extends Deletable> {
  value: V
  /** Milliseconds since the epoch. */
  expiresAtMs: number
  bytes: number
}

export class KeyCache<V extends Deletable> {
  readonly #capacityBytes: number
  readonly #entries = new Map<string, Entry<V>>()
  #bytes = 0

  /** @param capacityBytes the most bytes of loaded key sets kept (>= 0; 0 caches nothing). */
  constructor(capacityBytes: number) {
    this.#capacityBytes = Math.max(0, capacityBytes)
  }

  get size(): number {
    return this.#entries.size
  }

  /** Bytes of the cached entries. */
  get bytes(): number {
    return this.#bytes
  }

  /** The live entry (marked most recently used), or undefined; an expired entry is freed. */
  get(keyId: string, nowMs = Date.now()): V | undefined {
    const entry = this.#entries.get(keyId)
    if (!entry) return undefined
    this.#entries.delete(keyId)
    if (entry.expiresAtMs <= nowMs) {
      this.#bytes -= entry.bytes
      entry.value.delete()
      return undefined
    }
    this.#entries.set(keyId, entry)
    return entry.value
  }

  /**
   * Adds (or replaces) an entry of `bytes`, freeing the least recently used ones until the total
   * fits. Returns false (and keeps nothing) when the entry alone is larger than the capacity: the
   * caller still owns `value` then.
   */
  set(keyId: string, value: V, expiresAtMs: number, bytes: number): boolean {
    const previous = this.#entries.get(keyId)
    if (previous) {
      this.#entries.delete(keyId)
      this.#bytes -= previous.bytes
      if (previous.value !== value) previous.value.delete()
    }
    if (bytes > this.#capacityBytes) return false
    while (this.#bytes + bytes > this.#capacityBytes) {
      const [oldestId, oldest] = this.#entries.entries().next().value as [string, Entry<V>]
      this.#entries.delete(oldestId)
      this.#bytes -= oldest.bytes
      oldest.value.delete()
    }
    this.#entries.set(keyId, { value, expiresAtMs, bytes })
    this.#bytes += bytes
    return true
  }

  /** Frees every entry. */
  clear(): void {
    for (const entry of this.#entries.values()) entry.value.delete()
    this.#entries.clear()
    this.#bytes = 0
  }
}
