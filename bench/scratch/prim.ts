import SEAL from 'node-seal'
const seal = await SEAL()
const N = 8192
const parms = new seal.EncryptionParameters(seal.SchemeType.ckks)
parms.setPolyModulusDegree(N)
parms.setCoeffModulus(
  seal.CoeffModulus.Create(
    N,
    Int32Array.from((process.env.CHAIN ?? '46,40,40,40,46').split(',').map(Number)),
  ),
)
const ctx = new seal.SEALContext(parms, true, seal.SecLevelType.tc128)
const kg = new seal.KeyGenerator(ctx)
const pk = kg.createPublicKey()
const rk = kg.createRelinKeys()
const gk = kg.createGaloisKeysWithSteps(Int32Array.from([1, 8, 128]))
const enc = new seal.Encryptor(ctx, pk)
const ev = new seal.Evaluator(ctx)
const ckks = new seal.CKKSEncoder(ctx)
const slots = N / 2
const v = Float64Array.from({ length: slots }, (_, i) => (i % 7) / 7)
const pt = new seal.Plaintext()
ckks.encode(v, 2 ** 40, pt)
const ct = new seal.Ciphertext()
enc.encrypt(pt, ct)
function time(label: string, f: () => void, reps = 20) {
  f()
  const t0 = performance.now()
  for (let i = 0; i < reps; i++) f()
  console.log(label, ((performance.now() - t0) / reps).toFixed(3), 'ms')
}
let cur = ct.clone()
for (let level = Number(process.env.CHAIN?.split(',').length ?? 5) - 2; level >= 0; level--) {
  const out = new seal.Ciphertext()
  time(`L${level} rotate`, () => ev.rotateVector(cur, 1, gk, out))
  const p = new seal.Plaintext()
  ckks.encode(v, 2 ** 40, p)
  ev.plainModSwitchToInplace(p, cur.parmsId())
  time(`L${level} multiplyPlain`, () => ev.multiplyPlain(cur, p, out))
  time(`L${level} add`, () => ev.add(cur, cur, out))

  if (level > 0) {
    time(`L${level} square+relin`, () => {
      ev.square(cur, out)
      ev.relinearizeInplace(out, rk)
    })
    ev.multiplyPlain(cur, p, out)
    const o2 = new seal.Ciphertext()
    time(`L${level} rescale`, () => ev.rescaleToNext(out, o2))
    const next = new seal.Ciphertext()
    ev.cipherModSwitchToNext(cur, next)
    cur = next
  }
}
const s1 = ct.saveToArray(seal.ComprModeType.zstd)
console.log('ct bytes zstd', s1.length)
const gs = kg.createGaloisKeysSerializableWithSteps(Int32Array.from([1]))
console.log('1 galois key seeded zstd', gs.saveToArray(seal.ComprModeType.zstd).length)
