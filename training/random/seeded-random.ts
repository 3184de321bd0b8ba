/**
 * A small deterministic PRNG (xoshiro128**, seeded by splitmix32) for everything that must be
 * reproducible from a seed: weight initialization, dataset shuffles and splits, audit shadow splits.
 *
 * Never use it for the DP noise or the Poisson sampling of DP-SGD: those come from
 * secure-random.ts (the privacy guarantee assumes the adversary cannot predict them).
 */
export class SeededRandom {
  private s0: number
  private s1: number
  private s2: number
  private s3: number
  private spareNormal: number | undefined

  /** @param seed any 32-bit integer; equal seeds give equal streams. */
  constructor(seed: number) {
    let state = seed >>> 0
    const splitmix = (): number => {
      state = (state + 0x9e3779b9) >>> 0
      let z = state
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
      return (z ^ (z >>> 16)) >>> 0
    }
    this.s0 = splitmix()
    this.s1 = splitmix()
    this.s2 = splitmix()
    this.s3 = splitmix()
  }

  /** Next 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0
    const t = (this.s1 << 9) >>> 0
    this.s2 ^= this.s0
    this.s3 ^= this.s1
    this.s1 ^= this.s2
    this.s0 ^= this.s3
    this.s2 ^= t
    this.s3 = rotl(this.s3 >>> 0, 11)
    this.s0 >>>= 0
    this.s1 >>>= 0
    this.s2 >>>= 0
    return result
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  nextUniform(): number {
    const high = this.nextUint32() >>> 5
    const low = this.nextUint32() >>> 6
    return (high * 67108864 + low) / 9007199254740992
  }

  /** Uniform integer in [0, bound). */
  nextInt(bound: number): number {
    return Math.floor(this.nextUniform() * bound)
  }

  /** Standard normal (Box-Muller, polar form not needed: 53-bit uniforms). */
  nextNormal(): number {
    if (this.spareNormal !== undefined) {
      const spare = this.spareNormal
      this.spareNormal = undefined
      return spare
    }
    const u1 = 1 - this.nextUniform()
    const u2 = this.nextUniform()
    const radius = Math.sqrt(-2 * Math.log(u1))
    this.spareNormal = radius * Math.sin(2 * Math.PI * u2)
    return radius * Math.cos(2 * Math.PI * u2)
  }

  /** Fisher-Yates shuffle in place; returns the same array. */
  shuffle<T extends { length: number; [index: number]: number }>(values: T): T {
    for (let i = values.length - 1; i > 0; i--) {
      const j = this.nextInt(i + 1)
      const swap = values[i]
      values[i] = values[j]
      values[j] = swap
    }
    return values
  }

  /** A permutation of 0..count-1. */
  permutation(count: number): Int32Array {
    const order = new Int32Array(count)
    for (let i = 0; i < count; i++) order[i] = i
    return this.shuffle(order)
  }
}

function rotl(value: number, bits: number): number {
  return ((value << bits) | (value >>> (32 - bits))) >>> 0
}
