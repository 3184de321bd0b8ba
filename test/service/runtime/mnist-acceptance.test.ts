/**
 * The bundled MNIST MLP (784-128-10, square activation; models/mnist-mlp) under
 * encryption agrees with onnxruntime on argmax for >= 99.9% of 1,000 held-out digits and loses at
 * most 0.1 accuracy points. ~1,000 encrypted queries: 2-3 minutes on 2 cores.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadMnist } from '../../../training/data/mnist.ts'
import { loadModelDirectory } from '../../../service/models/index.ts'
import { argmax } from '../../../core/math/argmax.ts'
import { compareHeToPlain } from '../../../service/models/compare-he.ts'

const MODEL_DIR = 'models/mnist-mlp'
const DIGITS = 1000

describe('MNIST acceptance (models/mnist-mlp)', () => {
  it(`agrees with onnxruntime on >= 99.9% of ${DIGITS} test digits, accuracy drop <= 0.1 points`, async () => {
    const { card, compiled } = await loadModelDirectory(MODEL_DIR)
    const file = card.data?.testIndicesFile ?? 'test-indices.json'
    const { indices } = JSON.parse(await readFile(join(MODEL_DIR, file), 'utf8')) as {
      indices: number[]
    }
    const digits = loadMnist()
    const rows = indices.slice(0, DIGITS)
    expect(rows).toHaveLength(DIGITS)
    const inputs = rows.map((row) =>
      digits.inputs.subarray(row * digits.inputSize, (row + 1) * digits.inputSize),
    )
    const onnxBytes = new Uint8Array(await readFile(join(MODEL_DIR, card.onnxFile)))
    const check = await compareHeToPlain(compiled, onnxBytes, inputs)
    let plainCorrect = 0
    let heCorrect = 0
    rows.forEach((row, i) => {
      if (argmax(check.plainOutputs[i]) === digits.labels[row]) plainCorrect++
      if (argmax(check.heOutputs[i]) === digits.labels[row]) heCorrect++
    })
    expect(check.comparison.argmaxAgreement).toBeGreaterThanOrEqual(0.999)
    expect((plainCorrect - heCorrect) / DIGITS).toBeLessThanOrEqual(0.001)
    expect(check.comparison.maxAbsError).toBeLessThan(check.comparison.tolerance)
  }, 1_800_000) // ~2 min on a quiet 2-core machine; 15 min at load 15 (busy shared machines)
})
