/**
 * SEAL primitive costs per level of one CKKS chain (N = 8192 by default): rotation (key switching),
 * plaintext product, addition, square + relinearization, rescale, and the sizes of a ciphertext and
 * of one Galois key as sent. The compiler's cost model and the lazy-rescale decision cite these
 * numbers: a rotation's cost grows with the data primes it key-switches over.
 * Median of --reps after one warm-up call. Writes bench/results/primitives.md and .json.
 *
 * Usage: node bench/primitives.ts [--chain 46,40,40,40,46] [--n 8192] [--reps 20]
 */
import { parseArgs } from 'node:util'
import { median } from '../core/math/median.ts'
import { loadSeal } from '../core/seal/load.ts'
import { loadAverage, machineDescription, writeBenchResult } from './results-file.ts'

const { values } = parseArgs({
  options: {
    chain: { type: 'string', default: '46,40,40,40,46' },
    n: { type: 'string', default: '8192' },
    reps: { type: 'string', default: '20' },
  },
})
const chainBits = values.chain.split(',').map(Number)
const polyModulusDegree = Number(values.n)
const reps = Number(values.reps)
const scale = 2 ** 40

const seal = await loadSeal()
const parms = new seal.EncryptionParameters(seal.SchemeType.ckks)
parms.setPolyModulusDegree(polyModulusDegree)
parms.setCoeffModulus(seal.CoeffModulus.Create(polyModulusDegree, Int32Array.from(chainBits)))
const context = new seal.SEALContext(parms, true, seal.SecLevelType.tc128)
const keyGenerator = new seal.KeyGenerator(context)
const publicKey = keyGenerator.createPublicKey()
const relinKeys = keyGenerator.createRelinKeys()
const galoisKeys = keyGenerator.createGaloisKeysWithSteps(Int32Array.from([1]))
const encryptor = new seal.Encryptor(context, publicKey)
const evaluator = new seal.Evaluator(context)
const encoder = new seal.CKKSEncoder(context)
const values64 = Float64Array.from({ length: polyModulusDegree / 2 }, (_, i) => (i % 7) / 7)

function timeMs(operation: () => void): number {
  operation()
  const times: number[] = []
  for (let rep = 0; rep < reps; rep++) {
    const started = performance.now()
    operation()
    times.push(performance.now() - started)
  }
  return median(times)
}

interface LevelTimes {
  /** Data primes the ciphertext holds at this level. */
  dataPrimes: number
  rotate: number
  multiplyPlain: number
  add: number
  squareRelinearize?: number
  rescale?: number
}

const encoded = new seal.Plaintext()
encoder.encode(values64, scale, encoded)
const fresh = new seal.Ciphertext()
encryptor.encrypt(encoded, fresh)
const levels: LevelTimes[] = []
let current = fresh.clone()
const out = new seal.Ciphertext()
const rescaled = new seal.Ciphertext()
for (let dataPrimes = chainBits.length - 1; dataPrimes >= 1; dataPrimes--) {
  // The product's scale must stay below this level's modulus (SEAL: "scale out of bounds"); the
  // cost of a plaintext product does not depend on the scale.
  const levelModulusBits = chainBits.slice(0, dataPrimes).reduce((sum, bits) => sum + bits, 0)
  const plainScale = 2 ** Math.min(40, levelModulusBits - 40 - 1)
  const plain = new seal.Plaintext()
  encoder.encode(values64, plainScale, plain)
  evaluator.plainModSwitchToInplace(plain, current.parmsId())
  const times: LevelTimes = {
    dataPrimes,
    rotate: timeMs(() => evaluator.rotateVector(current, 1, galoisKeys, out)),
    multiplyPlain: timeMs(() => evaluator.multiplyPlain(current, plain, out)),
    add: timeMs(() => evaluator.add(current, current, out)),
  }
  if (dataPrimes > 1) {
    times.squareRelinearize = timeMs(() => {
      evaluator.square(current, out)
      evaluator.relinearizeInplace(out, relinKeys)
    })
    evaluator.multiplyPlain(current, plain, out)
    times.rescale = timeMs(() => evaluator.rescaleToNext(out, rescaled))
    const next = new seal.Ciphertext()
    evaluator.cipherModSwitchToNext(current, next)
    current.delete()
    current = next
  }
  plain.delete()
  levels.push(times)
}
const ciphertextBytes = fresh.saveToArray(seal.ComprModeType.zstd).length
const serializableKey = keyGenerator.createGaloisKeysSerializableWithSteps(Int32Array.from([1]))
const galoisKeyBytes = serializableKey.saveToArray(seal.ComprModeType.zstd).length
for (const object of [serializableKey, current, out, rescaled, fresh, encoded]) object.delete()
for (const object of [encoder, evaluator, encryptor, galoisKeys, relinKeys, publicKey])
  object.delete()
keyGenerator.delete()
context.delete()
parms.delete()

const ms = (value: number | undefined) => (value === undefined ? '–' : value.toFixed(3))
const machine = machineDescription()
const date = new Date().toISOString()
const markdown = [
  `# SEAL primitives per level (${date})`,
  '',
  `Machine: ${machine}; load average ${loadAverage()} at the end. Command: \`npm run bench:primitives -- --chain ${values.chain} --n ${polyModulusDegree} --reps ${reps}\`. N = ${polyModulusDegree}, chain ${chainBits.join('+')} bits (last = special prime), ciphertext scale 2^40 (plaintext scale 2^40, or smaller where the product would not fit the level); median ms of ${reps} after a warm-up.`,
  '',
  '| data primes | rotate | multiply plain | add | square + relinearize | rescale |',
  '|---|---|---|---|---|---|',
  ...levels.map(
    (level) =>
      `| ${level.dataPrimes} | ${ms(level.rotate)} | ${ms(level.multiplyPlain)} | ${ms(level.add)} | ${ms(level.squareRelinearize)} | ${ms(level.rescale)} |`,
  ),
  '',
  `Fresh ciphertext (zstd, top level): ${(ciphertextBytes / 1024).toFixed(1)} KB; one Galois key (seed-compressed, zstd): ${(galoisKeyBytes / 1e6).toFixed(2)} MB.`,
  '',
].join('\n')
await writeBenchResult('primitives', markdown, {
  date,
  machine,
  polyModulusDegree,
  chainBits,
  reps,
  levels,
  ciphertextBytes,
  galoisKeyBytes,
})
