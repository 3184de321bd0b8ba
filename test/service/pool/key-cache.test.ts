import { describe, expect, it } from 'vitest'
import { KeyCache } from '../../../service/pool/key-cache.ts'

class Tracked {
  deleted = 0
  delete(): void {
    this.deleted++
  }
}

describe('KeyCache (bounded in bytes)', () => {
  it('evicts least recently used entries until the bytes fit, and deletes them', () => {
    const cache = new KeyCache<Tracked>(100)
    const [a, b, c] = [new Tracked(), new Tracked(), new Tracked()]
    cache.set('a', a, Infinity, 40)
    cache.set('b', b, Infinity, 40)
    expect(cache.get('a')).toBe(a) // a is now most recent
    cache.set('c', c, Infinity, 30) // 110 > 100: b goes
    expect(cache.get('b')).toBeUndefined()
    expect(b.deleted).toBe(1)
    expect(a.deleted + c.deleted).toBe(0)
    expect(cache.size).toBe(2)
    expect(cache.bytes).toBe(70)
  })

  it('evicts several small entries for one large one', () => {
    const cache = new KeyCache<Tracked>(100)
    const small = Array.from({ length: 5 }, () => new Tracked())
    small.forEach((value, i) => cache.set(`s${i}`, value, Infinity, 20))
    const large = new Tracked()
    cache.set('large', large, Infinity, 90)
    expect(small.map((value) => value.deleted)).toEqual([1, 1, 1, 1, 1])
    expect(cache.size).toBe(1)
    expect(cache.bytes).toBe(90)
  })

  it('keeps nothing larger than the capacity and leaves it to the caller', () => {
    const cache = new KeyCache<Tracked>(50)
    const kept = new Tracked()
    cache.set('kept', kept, Infinity, 10)
    const huge = new Tracked()
    expect(cache.set('huge', huge, Infinity, 51)).toBe(false)
    expect(huge.deleted).toBe(0)
    expect(cache.get('huge')).toBeUndefined()
    expect(cache.get('kept')).toBe(kept)
  })

  it('drops and deletes expired entries on access, and everything on clear', () => {
    const cache = new KeyCache<Tracked>(400)
    const [a, b] = [new Tracked(), new Tracked()]
    cache.set('a', a, 1000, 10)
    cache.set('b', b, 5000, 10)
    expect(cache.get('a', 1000)).toBeUndefined()
    expect(a.deleted).toBe(1)
    expect(cache.bytes).toBe(10)
    expect(cache.get('b', 1000)).toBe(b)
    cache.clear()
    expect(b.deleted).toBe(1)
    expect(cache.size).toBe(0)
    expect(cache.bytes).toBe(0)
  })

  it('deletes a replaced value and counts only the new bytes', () => {
    const cache = new KeyCache<Tracked>(400)
    const [a, b] = [new Tracked(), new Tracked()]
    cache.set('k', a, Infinity, 30)
    cache.set('k', b, Infinity, 20)
    expect(a.deleted).toBe(1)
    expect(cache.get('k')).toBe(b)
    expect(cache.bytes).toBe(20)
  })
})
