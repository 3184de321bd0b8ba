/**
 * A SEAL CKKS context built from a {@link ParameterSet}, with the helpers every HE component needs.
 *
 * ## Levels
 * With L data primes q0..q(L-1) (all of `coeffModulusBits` but the last, special prime p):
 * - the **level** of a ciphertext or plaintext is the number of data primes it still carries minus
 *   one; a fresh ciphertext is at the top level L-1, each rescale (or mod-switch) drops the last
 *   remaining data prime and lowers the level by one, and level 0 carries q0 only (no further
 *   rescale possible);
 * - level equals SEAL's `ContextData::chain_index()` for the data levels; SEAL's key level
 *   (chain index L, all primes including p) is not a data level: only keys live there;
 * - `primes[i]` is the value of q_i, so the primes present at level ℓ are primes[0..ℓ], and
 *   rescaling from level ℓ divides the scale by primes[ℓ].
 *
 * Example: N=8192, coeffModulusBits [50,36,36,36,50] has L = 4 data primes, levels 3 (fresh) .. 0.
 */
import type {
  CKKSEncoder,
  ContextData,
  Evaluator,
  ParmsIdType,
  SEALContext,
  SealModule,
} from '../seal/load.ts'
import { PrivinferError } from '../errors.ts'
import { translateSealExceptions } from '../seal/exceptions.ts'
import { ParametersRejectedError } from './errors.ts'
import {
  describeParameterSet,
  MAX_COEFF_MODULUS_BITS,
  validateParameterSet,
  type ParameterSet,
} from './parameter-set.ts'

/** Anything SEAL tags with a parms_id (Ciphertext, Plaintext). */
export interface HasParmsId {
  parmsId(): ParmsIdType
}

export interface CkksContext {
  readonly seal: SealModule
  readonly params: Readonly<ParameterSet>
  /** The SEAL context (created with sec_level_type::tc128, expand_mod_chain = true). */
  readonly context: SEALContext
  readonly encoder: CKKSEncoder
  readonly evaluator: Evaluator
  /** Number of CKKS slots, N/2. */
  readonly slotCount: number
  /** The encoding scale 2^scaleBits. */
  readonly scale: number
  /**
   * Values of the data primes q0..q(L-1) as doubles (index 0 = first prime q0; the special prime
   * is excluded). The double is exactly what SEAL divides the scale by when rescaling
   * (`static_cast<double>(q)`), so scale bookkeeping with these values matches SEAL's.
   */
  readonly primes: readonly number[]
  /** Exact values of the data primes q0..q(L-1). */
  readonly primeValues: readonly bigint[]
  /** Exact value of the special (key-switching) prime p. */
  readonly specialPrimeValue: bigint
  /** Level of a fresh ciphertext: primes.length - 1. */
  readonly topLevel: number
  /**
   * The parms_id of the given data level (0 .. topLevel). The returned object is owned by the
   * context: do not delete it, and do not use it after `ctx.delete()`.
   * @throws RangeError when the level is not in 0..topLevel.
   */
  parmsIdAtLevel(level: number): ParmsIdType
  /** Hex key of a data level's parms_id (for maps and comparisons). */
  parmsIdKeyAtLevel(level: number): string
  /**
   * The data level of a ciphertext or plaintext of this context, or undefined when its parms_id is
   * not a data level of this context (other parameters, or SEAL's key level).
   */
  findLevel(object: HasParmsId): number | undefined
  /**
   * The data level of a ciphertext or plaintext of this context.
   * @throws PrivinferError CIPHERTEXT_WRONG_PARAMETERS when its parms_id is not a data level here.
   */
  levelOf(object: HasParmsId): number
  /** True when the parms_id is SEAL's key level (all primes including the special one). */
  isKeyLevel(object: HasParmsId): boolean
  /** The data level whose parms_id has this hex key (see {@link parmsIdKey}), or undefined. */
  levelOfParmsIdKey(key: string): number | undefined
  /** Hex key of SEAL's key-level parms_id (where relinearization and Galois keys live). */
  readonly keyParmsIdKey: string
  /** SEAL-serialized EncryptionParameters (compression none), base64: what the model card carries. */
  encryptionParametersBase64(): string
  /** Frees every SEAL object the context owns. Idempotent. */
  delete(): void
  readonly isDeleted: boolean
}

/** Hex string of a parms_id's four 64-bit words; frees `parmsId` when `free` is set. */
export function parmsIdKey(parmsId: ParmsIdType, free = false): string {
  try {
    const words = parmsId.values() as BigUint64Array
    return Array.from(words, (word) => word.toString(16).padStart(16, '0')).join('')
  } finally {
    if (free) parmsId.delete()
  }
}

/** Hex parms_id key of a SEAL object (frees the temporary ParmsIdType). */
export function parmsIdKeyOf(object: HasParmsId): string {
  return parmsIdKey(object.parmsId(), true)
}

/**
 * Creates the SEAL CKKS context for a parameter set, at 128-bit security.
 * SEAL's sec_level_type::none is never used: SEAL itself re-checks the 128-bit limit (tc128), and the context
 * must report `parametersSet()`.
 *
 * @throws ParametersRejectedError (PARAMETERS_INSECURE / PARAMETERS_INVALID) when
 *   {@link validateParameterSet} finds problems or SEAL refuses the parameters (e.g. not enough
 *   primes of a requested size exist for this N).
 */
export function createCkksContext(seal: SealModule, params: ParameterSet): CkksContext {
  const description = describeParameterSet(params)
  const problems = validateParameterSet(params)
  if (problems.length > 0) throw new ParametersRejectedError(problems, description)
  const frozenParams: Readonly<ParameterSet> = Object.freeze({
    polyModulusDegree: params.polyModulusDegree,
    coeffModulusBits: Object.freeze([...params.coeffModulusBits]) as number[],
    scaleBits: params.scaleBits,
  })
  const n = frozenParams.polyModulusDegree

  const sealMax = seal.CoeffModulus.MaxBitCount(n, seal.SecLevelType.tc128)
  if (sealMax !== MAX_COEFF_MODULUS_BITS[n]) {
    // ASSUME: our table and SEAL's agree; if a SEAL upgrade changes the table, fail loudly.
    throw new PrivinferError(
      'PARAMETERS_INVALID',
      `SEAL's 128-bit limit for N=${n} is ${sealMax} bits, privinfer's table says ${MAX_COEFF_MODULUS_BITS[n]}`,
    )
  }

  const rejectedBySeal = (reason: string) =>
    new ParametersRejectedError(
      [{ code: 'REFUSED_BY_SEAL', insecure: false, message: `SEAL: ${reason}` }],
      description,
    )
  const owned = new OwnedSealObjects()

  try {
    const { context, allPrimes, encryptionParametersBase64 } = buildSealContext(
      seal,
      frozenParams,
      owned,
      rejectedBySeal,
    )
    const dataPrimeCount = frozenParams.coeffModulusBits.length - 1
    const parmsIdsByLevel = dataLevelParmsIds(seal, context, dataPrimeCount, owned, rejectedBySeal)
    const levelByKey = new Map(
      parmsIdsByLevel.map((parmsId, level) => [parmsIdKey(parmsId), level]),
    )
    const parmsIdKeys = parmsIdsByLevel.map((parmsId) => parmsIdKey(parmsId))
    const keyParmsIdKey = parmsIdKey(context.keyParmsId(), true)

    const encoder = owned.own(new seal.CKKSEncoder(context))
    const evaluator = owned.own(new seal.Evaluator(context))
    const primeValues = Object.freeze(allPrimes.slice(0, dataPrimeCount))
    const topLevel = dataPrimeCount - 1

    const checkLevel = (level: number) => {
      if (!Number.isInteger(level) || level < 0 || level > topLevel) {
        throw new RangeError(`level ${level} is not in 0..${topLevel}`)
      }
    }
    let isDeleted = false
    const ckks: CkksContext = {
      seal,
      params: frozenParams,
      context,
      encoder,
      evaluator,
      slotCount: encoder.slotCount(),
      scale: 2 ** frozenParams.scaleBits,
      primes: Object.freeze(primeValues.map(Number)),
      primeValues,
      specialPrimeValue: allPrimes[dataPrimeCount],
      topLevel,
      parmsIdAtLevel(level) {
        checkLevel(level)
        return parmsIdsByLevel[level]
      },
      parmsIdKeyAtLevel(level) {
        checkLevel(level)
        return parmsIdKeys[level]
      },
      findLevel(object) {
        return levelByKey.get(parmsIdKeyOf(object))
      },
      levelOf(object) {
        const level = ckks.findLevel(object)
        if (level === undefined) {
          throw new PrivinferError(
            'CIPHERTEXT_WRONG_PARAMETERS',
            `object's parms_id is not a data level of ${description}`,
          )
        }
        return level
      },
      isKeyLevel(object) {
        return parmsIdKeyOf(object) === keyParmsIdKey
      },
      levelOfParmsIdKey: (key) => levelByKey.get(key),
      keyParmsIdKey,
      encryptionParametersBase64: () => encryptionParametersBase64,
      delete() {
        if (isDeleted) return
        isDeleted = true
        owned.deleteAll()
      },
      get isDeleted() {
        return isDeleted
      },
    }
    return ckks
  } catch (error) {
    owned.deleteAll()
    throw error
  }
}

/** SEAL objects a context owns, deleted together (last made, first deleted). */
class OwnedSealObjects {
  private readonly objects: Array<{ delete(): void }> = []

  own<T extends { delete(): void }>(object: T): T {
    this.objects.push(object)
    return object
  }

  deleteAll(): void {
    for (const object of this.objects.reverse()) object.delete()
    this.objects.length = 0
  }
}

/** The SEALContext of the parameters at 128-bit security, with its primes' values. */
function buildSealContext(
  seal: SealModule,
  params: Readonly<ParameterSet>,
  owned: OwnedSealObjects,
  rejectedBySeal: (reason: string) => Error,
): { context: SEALContext; allPrimes: bigint[]; encryptionParametersBase64: string } {
  const n = params.polyModulusDegree
  const encryptionParameters = owned.own(new seal.EncryptionParameters(seal.SchemeType.ckks))
  encryptionParameters.setPolyModulusDegree(n)
  const coeffModulus = owned.own(
    translateSealExceptions(
      seal,
      () => seal.CoeffModulus.Create(n, Int32Array.from(params.coeffModulusBits)),
      (info) => rejectedBySeal(info.message),
    ),
  )
  encryptionParameters.setCoeffModulus(coeffModulus)
  const allPrimes = (seal.jsArrayFromVecModulus(coeffModulus) as bigint[]).map(BigInt)
  const encryptionParametersBase64 = encryptionParameters.saveToBase64(seal.ComprModeType.none)

  const context = owned.own(
    translateSealExceptions(
      seal,
      () => new seal.SEALContext(encryptionParameters, true, seal.SecLevelType.tc128),
      (info) => rejectedBySeal(info.message),
    ),
  )
  if (!context.parametersSet()) {
    throw rejectedBySeal(`SEALContext reports the parameters as not set: ${context.toHuman()}`)
  }
  return { context, allPrimes, encryptionParametersBase64 }
}

/**
 * The parms_id of every data level, index = level: walks the chain from the top (first context
 * data) down to level 0, after checking that SEAL built it at 128-bit security.
 */
function dataLevelParmsIds(
  seal: SealModule,
  context: SEALContext,
  dataPrimeCount: number,
  owned: OwnedSealObjects,
  rejectedBySeal: (reason: string) => Error,
): ParmsIdType[] {
  const parmsIdsByLevel: ParmsIdType[] = []
  const firstData = context.firstContextData()
  const qualifiers = firstData.qualifiers()
  const securityLevel = qualifiers.securityLevel
  qualifiers.delete()
  if (securityLevel !== seal.SecLevelType.tc128) {
    firstData.delete()
    throw rejectedBySeal('context is not at 128-bit security')
  }
  let contextData: ContextData | null = firstData
  while (contextData !== null) {
    const level = contextData.chainIndex()
    parmsIdsByLevel[level] = owned.own(contextData.parmsId())
    const next: ContextData | null = level > 0 ? contextData.nextContextData() : null
    contextData.delete()
    contextData = next
  }
  const levelsBuilt = parmsIdsByLevel.filter((parmsId) => parmsId !== undefined).length
  if (parmsIdsByLevel.length !== dataPrimeCount || levelsBuilt !== dataPrimeCount) {
    throw rejectedBySeal(
      `expected ${dataPrimeCount} data levels, SEAL built ${parmsIdsByLevel.length}`,
    )
  }
  return parmsIdsByLevel
}
