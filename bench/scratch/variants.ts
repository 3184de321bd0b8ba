import { readFileSync } from 'node:fs'
import { compileModel, type CompileOptions } from '../../service/compiler/compile.ts'
import { createLocalRoundTrip } from '../../service/runtime/seal/local-round-trip.ts'
import { evaluatePlanSlots, readOutput } from '../../service/compiler/measure-ranges.ts'
const bytes = readFileSync('models/mnist-mlp/model.onnx')
const variants: Record<string, CompileOptions> = JSON.parse(process.argv[2] ?? '{"opt":{}}')
const reps = Number(process.argv[3] ?? 5)
const rts = []
for (const [name, options] of Object.entries(variants)) {
  const compiled = compileModel(bytes, options)
  const rt = await createLocalRoundTrip(compiled)
  rts.push({ name, compiled, rt, times: [] as number[], layers: [] as Record<string, number>[] })
}
const x = Float64Array.from({ length: 784 }, (_, i) => ((i * 37) % 101) / 101)
for (let rep = 0; rep < reps + 1; rep++) {
  for (const v of rts) {
    const r = v.rt.query(x)
    if (rep === 0) {
      const ref = readOutput(v.compiled.plan, evaluatePlanSlots(v.compiled.plan, x))
      const err = Math.max(...r.outputs.map((o, i) => Math.abs(o - ref[i])))
      console.log(
        v.name,
        'maxErr',
        err.toExponential(2),
        'in',
        r.inputBytes,
        'out',
        r.outputBytes,
        'gk',
        v.rt.galoisKeyBytes,
        'rk',
        v.rt.relinKeyBytes,
        JSON.stringify(v.compiled.parameters.coeffModulusBits),
        v.compiled.galoisSteps.join(','),
      )
    } else {
      v.times.push(r.serverMs)
      v.layers.push(r.layerMs)
    }
  }
}
const med = (a: number[]) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)]
for (const v of rts) {
  const layerNames = Object.keys(v.layers[0])
  console.log(
    v.name,
    'median',
    med(v.times).toFixed(1),
    'ms',
    layerNames.map((n) => `${n}=${med(v.layers.map((l) => l[n])).toFixed(1)}`).join(' '),
  )
  v.rt.delete()
}
