// Argmax agreement HE vs onnxruntime on N MNIST test digits for given compile options:
// node bench/scratch/mnist-agreement.ts '{"lazyOutput":true}' 1000
import { readFileSync } from 'node:fs'
import { compileModel } from '../../service/compiler/compile.ts'
import { argmax } from '../../core/math/argmax.ts'
import { compareHeToPlain } from '../../service/models/compare-he.ts'
import { loadMnist } from '../../training/data/mnist.ts'
import { loadSplits } from '../../training/data/load.ts'
const options = JSON.parse(process.argv[2] ?? '{}')
const count = Number(process.argv[3] ?? 1000)
const onnx = readFileSync('models/mnist-mlp/model.onnx')
const { train } = loadSplits('mnist')
const calibration = Array.from({ length: 64 }, (_, i) =>
  train.inputs.subarray(i * 784, (i + 1) * 784),
)
const compiled = compileModel(onnx, { ...options, calibration })
const { indices } = JSON.parse(readFileSync('models/mnist-mlp/test-indices.json', 'utf8'))
const digits = loadMnist()
const rows: number[] = indices.slice(0, count)
const inputs = rows.map((r) => digits.inputs.subarray(r * 784, (r + 1) * 784))
const check = await compareHeToPlain(compiled, onnx, inputs)
let plain = 0
let he = 0
rows.forEach((r, i) => {
  if (argmax(check.plainOutputs[i]) === digits.labels[r]) plain++
  if (argmax(check.heOutputs[i]) === digits.labels[r]) he++
})
const ms = [...check.serverMs].sort((a, b) => a - b)[check.serverMs.length >> 1]
console.log(
  JSON.stringify({
    options,
    parameters: compiled.parameters,
    ...check.comparison,
    plainAccuracy: plain / count,
    heAccuracy: he / count,
    serverMsMedian: ms,
    inputBytes: check.queries[0].inputBytes,
    outputBytes: check.queries[0].outputBytes,
  }),
)
