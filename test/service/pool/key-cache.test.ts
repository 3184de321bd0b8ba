import { describe, expect, it } from 'vitest'
import { KeyCache } from '../../../service/pool/key-cache.ts'

class Tracked {
  deleted = 0
  delete(): void {
    this.deleted++
  }
}

describe('KeyCache', () => {
  it('evicts the least recently used entry and deletes it', () => {
    const cache = new KeyCache<Tracked>(2)
    const [a, b, c] = [new Tracked(), new Tracked(), new Tracked()]
    cache.set('a', a, Infinity)
    cache.set('b', b, Infinity)
    expect(cache.get('a')).toBe(a) // a is now most recent
    cache.set('c', c, Infinity)
    expect(cache.get('b')).toBeUndefined()
    expect(b.deleted).toBe(1)
    expect(a.deleted + c.deleted).toBe(0)
    expect(cache.size).toBe(2)
  })

  it('drops and deletes expired entries on access, and everything on clear', () => {
    const cache = new KeyCache<Tracked>(4)
    const [a, b] = [new Tracked(), new Tracked()]
    cache.set('a', a, 1000)
    cache.set('b', b, 5000)
    expect(cache.get('a', 1000)).toBeUndefined()
    expect(a.deleted).toBe(1)
    expect(cache.get('b', 1000)).toBe(b)
    cache.clear()
    expect(b.deleted).toBe(1)
    expect(cache.size).toBe(0)
  })

  it('deletes a replaced value', () => {
    const cache = new KeyCache<Tracked>(4)
    const [a, b] = [new Tracked(), new Tracked()]
    cache.set('k', a, Infinity)
    cache.set('k', b, Infinity)
    expect(a.deleted).toBe(1)
    expect(cache.get('k')).toBe(b)
  })
})
