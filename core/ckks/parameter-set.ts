/**
 * CKKS parameter sets and the 128-bit security limits they must respect. Pure data and checks: no SEAL.
 *
 * A parameter set is the ring dimension N (`polyModulusDegree`), the bit sizes of the coefficient
 * modulus primes q0, q1, ..., q(L-1), p and the scale 2^scaleBits:
 * - q0 (first prime) holds the final result: scaleBits plus integer headroom for the largest value;
 * - q1 .. q(L-1) are the rescaling primes, one per multiplicative level, close to 2^scaleBits;
 * - p (last prime) is the special key-switching prime, never used for data; it must be at least as
 *   large as the largest data prime so that key switching adds little noise.
 */

/** The primes of the coefficient modulus, and the scale. */
export interface ParameterSet {
  /** Ring dimension N (a power of two); a ciphertext holds N/2 complex slots. */
  polyModulusDegree: number
  /**
   * Bit sizes of the coefficient modulus primes, in SEAL order: data primes q0..q(L-1) first, the
   * special (key-switching) prime last. L = coeffModulusBits.length - 1 data primes.
   */
  coeffModulusBits: number[]
  /** log2 of the CKKS encoding scale: values are encoded as round(x * 2^scaleBits). */
  scaleBits: number
}

/**
 * Largest total coefficient modulus (sum of all prime bit sizes, special prime included) for
 * 128-bit classical security, by ring dimension N: HomomorphicEncryption.org security standard
 * (Albrecht et al. 2018, table 1, uniform ternary secret), the same table as SEAL's
 * `CoeffModulus::MaxBitCount(N, sec_level_type::tc128)` (checked by a test).
 */
export const MAX_COEFF_MODULUS_BITS: Readonly<Record<number, number>> = Object.freeze({
  1024: 27,
  2048: 54,
  4096: 109,
  8192: 218,
  16384: 438,
  32768: 881,
})

/** SEAL's limits on a single prime of the coefficient modulus (SEAL_USER_MOD_BIT_COUNT_MAX = 60). */
export const MIN_PRIME_BITS = 20
export const MAX_PRIME_BITS = 60

/** Smallest scale worth using: below it, encoding rounding swamps any useful precision. */
export const MIN_SCALE_BITS = 10

export type ParameterProblemCode =
  | 'DEGREE_NOT_POWER_OF_TWO'
  | 'DEGREE_UNSUPPORTED'
  | 'TOO_FEW_PRIMES'
  | 'PRIME_BITS_OUT_OF_RANGE'
  | 'BUDGET_EXCEEDED'
  | 'SPECIAL_PRIME_TOO_SMALL'
  | 'SCALE_OUT_OF_RANGE'
  | 'SCALE_NOT_BELOW_FIRST_PRIME'
  /** Set by createCkksContext when SEAL itself refuses a set that passed these checks. */
  | 'REFUSED_BY_SEAL'

/**
 * One reason why a parameter set cannot be used (SEAL's `error_type` in spirit).
 * `insecure` problems break the 128-bit security guarantee; the others make SEAL or CKKS fail.
 */
export interface ParameterProblem {
  code: ParameterProblemCode
  insecure: boolean
  message: string
}

export function isPowerOfTwo(value: number): boolean {
  return Number.isInteger(value) && value > 0 && (value & (value - 1)) === 0
}

/** Sum of the prime bit sizes (log2 of the whole modulus Q·p, approximately), in bits. */
export function totalCoeffModulusBits(params: ParameterSet): number {
  return params.coeffModulusBits.reduce((sum, bits) => sum + bits, 0)
}

/** Number of data primes L (all primes but the special one); levels run from L-1 (top) to 0. */
export function dataPrimeCount(params: ParameterSet): number {
  return params.coeffModulusBits.length - 1
}

/** Level of a fresh ciphertext: L - 1, where L is the number of data primes. */
export function topLevel(params: ParameterSet): number {
  return dataPrimeCount(params) - 1
}

/** Number of CKKS slots: N/2. */
export function slotCountOf(params: ParameterSet): number {
  return params.polyModulusDegree / 2
}

/**
 * Checks a parameter set against the 128-bit limits and SEAL/CKKS constraints.
 * Returns every problem found (an empty array means the set is usable); never throws.
 */
export function validateParameterSet(params: ParameterSet): ParameterProblem[] {
  const problems: ParameterProblem[] = []
  const invalid = (code: ParameterProblemCode, message: string) =>
    problems.push({ code, insecure: false, message })

  const n = params.polyModulusDegree
  if (!isPowerOfTwo(n)) {
    invalid('DEGREE_NOT_POWER_OF_TWO', `polyModulusDegree ${n} is not a power of two`)
  } else if (MAX_COEFF_MODULUS_BITS[n] === undefined) {
    invalid(
      'DEGREE_UNSUPPORTED',
      `polyModulusDegree ${n} is outside the 128-bit security table (${Object.keys(MAX_COEFF_MODULUS_BITS).join(', ')})`,
    )
  }

  const bits = params.coeffModulusBits
  if (!Array.isArray(bits) || bits.length < 2) {
    invalid(
      'TOO_FEW_PRIMES',
      'coeffModulusBits needs at least one data prime and the special key-switching prime',
    )
    return problems
  }
  bits.forEach((primeBits, index) => {
    if (!Number.isInteger(primeBits) || primeBits < MIN_PRIME_BITS || primeBits > MAX_PRIME_BITS) {
      invalid(
        'PRIME_BITS_OUT_OF_RANGE',
        `coeffModulusBits[${index}] = ${primeBits} is not an integer in ${MIN_PRIME_BITS}..${MAX_PRIME_BITS}`,
      )
    }
  })

  const maxBits = MAX_COEFF_MODULUS_BITS[n]
  const totalBits = totalCoeffModulusBits(params)
  if (maxBits !== undefined && totalBits > maxBits) {
    problems.push({
      code: 'BUDGET_EXCEEDED',
      insecure: true,
      message: `total coefficient modulus ${totalBits} bits exceeds ${maxBits} bits, the 128-bit security limit for N = ${n}`,
    })
  }

  const specialBits = bits[bits.length - 1]
  const largestDataBits = Math.max(...bits.slice(0, -1))
  if (specialBits < largestDataBits) {
    invalid(
      'SPECIAL_PRIME_TOO_SMALL',
      `special prime (${specialBits} bits) must be at least as large as the largest data prime (${largestDataBits} bits)`,
    )
  }

  const scaleBits = params.scaleBits
  if (!Number.isInteger(scaleBits) || scaleBits < MIN_SCALE_BITS || scaleBits > MAX_PRIME_BITS) {
    invalid(
      'SCALE_OUT_OF_RANGE',
      `scaleBits ${scaleBits} is not an integer in ${MIN_SCALE_BITS}..${MAX_PRIME_BITS}`,
    )
  } else if (scaleBits >= bits[0]) {
    invalid(
      'SCALE_NOT_BELOW_FIRST_PRIME',
      `scale 2^${scaleBits} leaves no integer headroom below the first prime (${bits[0]} bits)`,
    )
  }
  return problems
}

/** A short human-readable form, e.g. `N=8192 [50,36,36,36,50] scale 2^36`. */
export function describeParameterSet(params: ParameterSet): string {
  return `N=${params.polyModulusDegree} [${params.coeffModulusBits.join(',')}] scale 2^${params.scaleBits}`
}
