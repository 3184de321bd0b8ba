/**
 * A bounded LRU cache of loaded key sets (SEAL objects) in one worker. Evicted and expired entries
 * are freed with `.delete()` at once: SEAL objects live on the WebAssembly heap, not the JS heap.
 */

export interface Deletable {
  delete(): void
}

interface Entry<V extends Deletable> {
  value: V
  /** Milliseconds since the epoch. */
  expiresAtMs: number
}

export class KeyCache<V extends Deletable> {
  readonly #capacity: number
  readonly #entries = new Map<string, Entry<V>>()

  /** @param capacity maximum number of key sets kept (>= 1). */
  constructor(capacity: number) {
    this.#capacity = Math.max(1, capacity)
  }

  get size(): number {
    return this.#entries.size
  }

  /** The live entry (marked most recently used), or undefined; an expired entry is freed. */
  get(keyId: string, nowMs = Date.now()): V | undefined {
    const entry = this.#entries.get(keyId)
    if (!entry) return undefined
    this.#entries.delete(keyId)
    if (entry.expiresAtMs <= nowMs) {
      entry.value.delete()
      return undefined
    }
    this.#entries.set(keyId, entry)
    return entry.value
  }

  /** Adds (or replaces) an entry, freeing the least recently used ones beyond capacity. */
  set(keyId: string, value: V, expiresAtMs: number): void {
    const previous = this.#entries.get(keyId)
    if (previous) {
      this.#entries.delete(keyId)
      if (previous.value !== value) previous.value.delete()
    }
    this.#entries.set(keyId, { value, expiresAtMs })
    while (this.#entries.size > this.#capacity) {
      const [oldestId, oldest] = this.#entries.entries().next().value as [string, Entry<V>]
      this.#entries.delete(oldestId)
      oldest.value.delete()
    }
  }

  /** Frees every entry. */
  clear(): void {
    for (const entry of this.#entries.values()) entry.value.delete()
    this.#entries.clear()
  }
}
