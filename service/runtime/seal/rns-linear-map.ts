/**
 * A features-packing linear map (y_j = Σ_i w_ji · x_i over ciphertexts x_i) as one exact integer
 * matrix product on the ciphertexts' RNS coefficients (service/runtime/rns/limb-product.ts) instead
 * of one constant plaintext, one multiply_plain and one add per weight: the same result modulo every
 * prime, bit for bit (test/service/runtime/rns-linear-map.test.ts), with the weights applied by
 * float64 multiply-adds, which JavaScript runs far faster than SEAL's WebAssembly modular products
 * (bench/batch.ts).
 *
 * The ciphertexts are read and written through SEAL's own serialization (compression none; layout in
 * core/wire/sizes.ts): coefficients start at byte 113, polynomial-major, then prime, then
 * coefficient. SEAL validates every result on load (coefficients below their primes, metadata).
 */
import type { CkksContext } from '../../../core/ckks/context.ts'
import type { Ciphertext } from '../../../core/seal/load.ts'
import {
  fillLimbTile,
  limbModulus,
  limbPlan,
  limbSums,
  reduceInto,
  type LimbPlan,
} from '../rns/limb-product.ts'
import type { ConstantEncoder } from './constant-plaintext.ts'

/** Coefficients of a serialized ciphertext start here (16 header + 73 metadata + 24 array header). */
const DATA_OFFSET = 113
/** Offset of the scale (double) in a serialized ciphertext. */
const SCALE_OFFSET = 16 + 32 + 1 + 24
/** Coefficients per tile (each tile: inputs × TILE limbs as float64). */
const TILE = 256
/** Bytes of limb buffers held at once (rows are processed in blocks to stay under it). */
const LIMB_BUFFER_BYTES = 48 * 2 ** 20

export interface RnsLinearMapInput {
  ctx: CkksContext
  constants: ConstantEncoder
  inputs: readonly Ciphertext[]
  weights: Float64Array
  rows: number
  columns: number
  plainScale: number
  level: number
}

/** The integer weights (what a constant plaintext of w at plainScale holds), or undefined if too large. */
export function integerWeights(
  weights: Float64Array,
  plainScale: number,
  constants: ConstantEncoder,
): Float64Array {
  return Float64Array.from(weights, (w) => Number(constants.integerOf(w, plainScale)))
}

/**
 * Returns the `rows` output ciphertexts (new, owned by the caller), or undefined when the weights
 * are too large for exact limb sums (the caller then uses constant plaintexts).
 */
export function rnsLinearMap(input: RnsLinearMapInput): Ciphertext[] | undefined {
  const { ctx, constants, inputs, rows, columns, level } = input
  const weights = integerWeights(input.weights, input.plainScale, constants)
  const modulusBits = Math.max(
    ...ctx.primeValues.slice(0, level + 1).map((q) => q.toString(2).length),
  )
  let plan: LimbPlan
  try {
    plan = limbPlan(weights, rows, columns, modulusBits)
  } catch {
    return undefined
  }
  const { chunks, limbBits, limbCount } = plan
  const n = ctx.params.polyModulusDegree
  const primes = level + 1
  // Polynomials of the inputs (3 after a square whose relinearization is deferred); all alike.
  const size = inputs[0].size()
  if (inputs.some((input) => input.size() !== size)) throw new Error('inputs of different sizes')
  const words = size * primes * n
  const moduli = ctx.primeValues.slice(0, primes).map(limbModulus)
  // The inputs' coefficients as uint32 pairs (an aligned copy of each serialization's data).
  let template: Uint8Array | undefined
  const inputWords = inputs.map((ciphertext) => {
    const bytes = ciphertext.saveToArray(ctx.seal.ComprModeType.none) as Uint8Array
    if (bytes.length !== DATA_OFFSET + 8 * words) {
      throw new Error(`unexpected ciphertext serialization of ${bytes.length} bytes`)
    }
    template ??= Uint8Array.from(bytes.subarray(0, DATA_OFFSET))
    const data = new Uint32Array(2 * words)
    new Uint8Array(data.buffer).set(bytes.subarray(DATA_OFFSET))
    return data
  })
  if (template === undefined) throw new Error('no inputs')
  new DataView(template.buffer).setFloat64(SCALE_OFFSET, inputs[0].scale() * input.plainScale, true)

  const perOutput = chunks.length * limbCount
  const limbBytes = perOutput * 8 * words
  const blockRows = Math.max(2, Math.min(rows, 2 * Math.floor(LIMB_BUFFER_BYTES / limbBytes / 2)))
  const tile = new Float64Array(TILE * columns)
  const sums = new Float64Array(blockRows * TILE)
  // limbWords[(row·chunks + chunk)·limbCount + limb]: reduced limb sums of one output (uint32 pairs).
  const limbWords = Array.from({ length: blockRows * perOutput }, () => new Uint32Array(2 * words))
  // shifts[l] = the constant 2^(l·limbBits) at scale 1 (l >= 1).
  const shifts = Array.from({ length: limbCount }, () => new ctx.seal.Plaintext())
  const limbCiphertext = new ctx.seal.Ciphertext()
  const bytes = new Uint8Array(DATA_OFFSET + 8 * words)
  bytes.set(template)
  const outputs: Ciphertext[] = []
  try {
    for (let limb = 1; limb < limbCount; limb++)
      constants.encode(2 ** (limb * limbBits), 1, level, shifts[limb])
    for (let rowStart = 0; rowStart < rows; rowStart += blockRows) {
      const rowEnd = Math.min(rows, rowStart + blockRows)
      for (let block = 0; block < size * primes; block++) {
        const modulus = moduli[block % primes]
        for (let t0 = 0; t0 < n; t0 += TILE) {
          const count = Math.min(TILE, n - t0)
          const wordStart = block * n + t0
          chunks.forEach(([columnStart, columnEnd], chunk) => {
            for (let limb = 0; limb < limbCount; limb++) {
              fillLimbTile(
                inputWords,
                columnStart,
                columnEnd,
                wordStart,
                count,
                limbBits,
                limb,
                tile,
              )
              limbSums(
                weights,
                columns,
                columnStart,
                columnEnd,
                rowStart,
                rowEnd,
                tile,
                count,
                sums,
              )
              for (let j = rowStart; j < rowEnd; j++) {
                const target =
                  limbWords[((j - rowStart) * chunks.length + chunk) * limbCount + limb]
                const row = (j - rowStart) * count
                for (let t = 0; t < count; t++)
                  reduceInto(sums[row + t], modulus, target, wordStart + t)
              }
            }
          })
        }
      }
      for (let j = rowStart; j < rowEnd; j++) {
        const output = new ctx.seal.Ciphertext()
        outputs.push(output)
        for (let chunk = 0; chunk < chunks.length; chunk++) {
          for (let limb = 0; limb < limbCount; limb++) {
            const data = limbWords[((j - rowStart) * chunks.length + chunk) * limbCount + limb]
            bytes.set(new Uint8Array(data.buffer), DATA_OFFSET)
            const first = chunk === 0 && limb === 0
            const target = first ? output : limbCiphertext
            target.loadFromArray(ctx.context, bytes)
            if (limb > 0) ctx.evaluator.multiplyPlainInplace(target, shifts[limb])
            if (!first) ctx.evaluator.addInplace(output, target)
          }
        }
      }
    }
    return outputs
  } catch (error) {
    for (const output of outputs) output.delete()
    throw error
  } finally {
    for (const shift of shifts) shift.delete()
    limbCiphertext.delete()
  }
}
