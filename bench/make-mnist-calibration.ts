/**
 * Writes a calibration file for `privinfer import`: the first N digits of the MNIST training split
 * (training/data, the same split the trainer uses; never test digits), as a JSON array of 784-vectors.
 * Usage: node bench/make-mnist-calibration.ts [out.json] [N=64]
 */
import { writeFileSync } from 'node:fs'
import { loadSplits } from '../training/data/load.ts'

const out = process.argv[2] ?? 'mnist-calibration.json'
const count = Number(process.argv[3] ?? 64)
const { train } = loadSplits('mnist')
const rows: number[][] = []
for (let i = 0; i < count; i++)
  rows.push(Array.from(train.inputs.subarray(i * train.inputSize, (i + 1) * train.inputSize)))
writeFileSync(out, JSON.stringify(rows))
process.stderr.write(`wrote ${count} training digits to ${out}\n`)
