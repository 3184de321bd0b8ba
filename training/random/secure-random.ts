/**
 * Cryptographically secure randomness for the DP mechanism: Gaussian noise and Poisson sampling.
 * Bytes come from node:crypto randomFillSync (the OS CSPRNG), buffered in 64 KiB blocks.
 * Gaussians use Box-Muller on 53-bit uniforms. Never seeded: DP noise must not be reproducible.
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
   * Adds independent N(0, stdDev^2) samples to every element of `target` in place.
   * @param stdDev standard deviation (for DP-SGD: noiseMultiplier * clippingNorm).
   */
  addGaussianInPlace(target: Float64Array, stdDev: number): void {
    const count = target.length
    for (let i = 0; i < count; i += 2) {
      const u1 = 1 - this.nextUniform() // in (0, 1]: log is finite
      const u2 = this.nextUniform()
      const radius = stdDev * Math.sqrt(-2 * Math.log(u1))
      target[i] += radius * Math.cos(2 * Math.PI * u2)
      if (i + 1 < count) target[i + 1] += radius * Math.sin(2 * Math.PI * u2)
    }
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
