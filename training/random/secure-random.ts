/**
 * Cryptographically secure randomness for the DP mechanism: uniform integers for the discrete
 * Gaussian sampler (discrete-gaussian.ts) and Poisson sampling. Bytes come from node:crypto
 * randomFillSync (the OS CSPRNG), buffered in 64 KiB blocks. Never seeded: DP noise must not be
 * reproducible. There is deliberately no floating-point Gaussian here (Box-Muller outputs leak the
 * unnoised value through their low-order bits: Mironov 2012, Jin et al. 2022).
 */
import { randomFillSync } from 'node:crypto'

const BLOCK_WORDS = 16384

export class SecureRandom {
  private readonly words = new Uint32Array(BLOCK_WORDS)
  private position = BLOCK_WORDS

  /** Next uniformly random 32-bit unsigned integer. */
  nextUint32(): number {
    if (this.position >= BLOCK_WORDS) {
      randomFillSync(this.words)
      this.position = 0
    }
    return this.words[this.position++]
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  nextUniform(): number {
    const high = this.nextUint32() >>> 5
    const low = this.nextUint32() >>> 6
    return (high * 67108864 + low) / 9007199254740992
  }

  /**
   * Poisson subsampling: each of `count` indices joins independently with probability `rate`.
   * @returns the selected indices, ascending.
   */
  poissonSample(count: number, rate: number): Int32Array {
    // Compare a 32-bit word to rate * 2^32: exact to 2^-32 in the rate.
    const threshold = rate * 4294967296
    const selected: number[] = []
    for (let i = 0; i < count; i++) if (this.nextUint32() < threshold) selected.push(i)
    return Int32Array.from(selected)
  }
}
