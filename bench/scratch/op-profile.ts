// Per-op medians of one compiled model (node bench/scratch/op-profile.ts [modelDir] [reps]).
import { loadModelDirectory } from '../../service/models/index.ts'
import { createLocalRoundTrip } from '../../service/runtime/seal/local-round-trip.ts'
import { runPlan } from '../../service/runtime/seal/run-plan.ts'
import { contentsOfInputLayout, packByContents } from '../../core/layout/slot-contents.ts'
const { compiled } = await loadModelDirectory(process.argv[2] ?? 'models/mnist-mlp')
const rt = await createLocalRoundTrip(compiled)
const x = Float64Array.from({ length: 784 }, (_, i) => (i % 17) / 17)
const input = rt.clientKeys.encrypt(
  packByContents(contentsOfInputLayout(compiled.inputLayout), x),
  { level: rt.loaded.inputLevel },
)
const per: number[][] = compiled.plan.ops.map(() => [])
const reps = Number(process.argv[3] ?? 8)
for (let r = 0; r <= reps; r++) {
  const result = runPlan(rt.loaded, rt.evaluationKeys, input, {
    onOp: (t) => {
      if (r > 0) per[t.opIndex].push(t.ms)
    },
  })
  result.output.delete()
}
const med = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1]
compiled.plan.ops.forEach((op, i) =>
  console.log(i, op.kind, op.layer, med(per[i]).toFixed(2), 'ms'),
)
console.log('total', per.reduce((s, a) => s + med(a), 0).toFixed(1))
input.delete()
rt.delete()
