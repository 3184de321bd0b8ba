/**
 * Noise flooding of a result ciphertext (circuit privacy, docs/threat-model.md "Noise flooding"):
 *
 *   out ← out + Enc_pk(0) + (E, 0)
 *
 * - Enc_pk(0) is a fresh public-key encryption of zero under the client's public key (SEAL's
 *   `encrypt_zero`: (p0·u + e0, p1·u + e1) with the server's own ternary u): the second component
 *   of the result becomes pseudo-random (RLWE), instead of a linear image of the input's second
 *   component and the weights, which the client knows.
 * - E is a polynomial with independent coefficients uniform in [-2^k, 2^k) (node:crypto), added to
 *   the first component in SEAL's NTT form (core/ckks/ntt.ts): it smudges the decryption noise. For a
 *   circuit noise e with |e_i| <= B_c per coefficient, the distributions of E + e and E differ by at
 *   most |e_i| / 2^(k+1) per coefficient (uniform smudging), so with 2^k = 2^λ · B_c the decrypted
 *   polynomial is within statistical distance N · 2^-(λ+1) of one that does not depend on the
 *   weights beyond the output values (service/compiler/flooding.ts sets k).
 *
 * The caller passes the client's public key; its Encryptor is made per call (cheap: it copies the
 * key) and freed.
 */
import { webcrypto } from 'node:crypto'
import type { CkksContext } from '../../../core/ckks/context.ts'
import { forwardNtt, nttTable, type NttTable } from '../../../core/ckks/ntt.ts'
import type { Ciphertext, Plaintext, PublicKey } from '../../../core/seal/load.ts'
import { copyBytes } from '../../../core/wire/ciphertext.ts'

/** NTT tables of a context's data primes, made once per context (about 0.1 s per prime at N = 8192). */
const tablesByContext = new WeakMap<CkksContext, NttTable[]>()

function tablesOf(ctx: CkksContext, primeCount: number): NttTable[] {
  let tables = tablesByContext.get(ctx)
  if (tables === undefined) {
    tables = []
    tablesByContext.set(ctx, tables)
  }
  for (let i = tables.length; i < primeCount; i++)
    tables.push(nttTable(ctx.params.polyModulusDegree, ctx.primeValues[i]))
  return tables
}

/** N independent integers uniform in [-2^k, 2^k) (k <= 62), from the OS's CSPRNG. */
export function uniformFloodCoefficients(n: number, k: number): BigInt64Array {
  if (!Number.isInteger(k) || k < 0 || k > 62) throw new RangeError(`flooding bits k = ${k}`)
  const raw = new BigUint64Array(n)
  // getRandomValues fills at most 65,536 bytes per call.
  for (let start = 0; start < n; start += 8192)
    webcrypto.getRandomValues(raw.subarray(start, Math.min(n, start + 8192)))
  const mask = (1n << BigInt(k + 1)) - 1n
  const offset = 1n << BigInt(k)
  const values = new BigInt64Array(n)
  for (let i = 0; i < n; i++) values[i] = (raw[i] & mask) - offset
  return values
}

/**
 * The NTT-form plaintext of the integer polynomial `coefficients` at `level`, tagged with `scale`
 * (so that SEAL adds it to a ciphertext of that scale). The caller owns and deletes it.
 */
export function integerPlaintext(
  ctx: CkksContext,
  coefficients: BigInt64Array,
  level: number,
  scale: number,
): Plaintext {
  const { seal } = ctx
  const n = ctx.params.polyModulusDegree
  const primeCount = level + 1
  const tables = tablesOf(ctx, primeCount)
  // A zero plaintext of the right parms_id, coefficient count and scale as the byte template.
  const template = new seal.Plaintext()
  let bytes: Uint8Array
  try {
    ctx.encoder.encode(new Float64Array(ctx.slotCount), scale, template)
    if (level !== ctx.topLevel)
      ctx.evaluator.plainModSwitchToInplace(template, ctx.parmsIdAtLevel(level))
    bytes = copyBytes(template.saveToArray(seal.ComprModeType.none))
  } finally {
    template.delete()
  }
  const dataStart = bytes.length - 8 * n * primeCount
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  for (let p = 0; p < primeCount; p++) {
    const q = tables[p].q
    const residues = Array.from(coefficients, (c) => {
      const r = c % q
      return r < 0n ? r + q : r
    })
    forwardNtt(residues, tables[p])
    for (let i = 0; i < n; i++) view.setBigUint64(dataStart + 8 * (p * n + i), residues[i], true)
  }
  const plaintext = new seal.Plaintext()
  try {
    plaintext.loadFromArray(ctx.context, bytes)
    return plaintext
  } catch (error) {
    plaintext.delete()
    throw error
  }
}

/**
 * Floods `output` in place: adds a fresh encryption of zero under `publicKey` and a uniform noise
 * polynomial with coefficients in [-2^floodBits, 2^floodBits).
 */
export function floodCiphertext(
  ctx: CkksContext,
  output: Ciphertext,
  publicKey: PublicKey,
  floodBits: number,
): void {
  const { seal, evaluator } = ctx
  const level = ctx.levelOf(output)
  const scale = output.scale()
  const encryptor = new seal.Encryptor(ctx.context, publicKey)
  const zero = new seal.Ciphertext()
  let noise: Plaintext | undefined
  try {
    encryptor.encryptZero(zero)
    if (ctx.levelOf(zero) !== level)
      evaluator.cipherModSwitchToInplace(zero, ctx.parmsIdAtLevel(level))
    zero.setScale(scale)
    evaluator.addInplace(output, zero)
    noise = integerPlaintext(
      ctx,
      uniformFloodCoefficients(ctx.params.polyModulusDegree, floodBits),
      level,
      scale,
    )
    evaluator.addPlainInplace(output, noise)
  } finally {
    noise?.delete()
    zero.delete()
    encryptor.delete()
  }
}
