/**
 * The CLI end to end on a small PyTorch-style ONNX file: import (compile, HE check, model folder),
 * infer (decrypted outputs match onnxruntime), bench (--json fields). One JSON object on stdout each.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildMlpOnnx, randomInputs } from '../support/onnx-fixtures.ts'
import { createPlainModel } from '../../service/plain/onnx-runtime.ts'
import { importOnnx } from '../../service/compiler/onnx-import.ts'
import { defaultCalibration } from '../../service/compiler/compile.ts'
import { float32Tolerance } from '../support/float32-tolerance.ts'

const run = promisify(execFile)
const NODE = process.execPath
const CLI = 'cli/privinfer.ts'

async function privinfer(...args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run(NODE, [CLI, ...args, '--json'], { maxBuffer: 1 << 24 })
  const lines = stdout.trim().split('\n')
  expect(lines).toHaveLength(1)
  return JSON.parse(lines[0]) as Record<string, unknown>
}

describe('privinfer import / infer / bench', () => {
  let dir: string
  let onnxPath: string
  const onnx = buildMlpOnnx({
    sizes: [64, 32, 10],
    activation: 'poly',
    coefficients: [0.1, 0.5, 0.25],
    seed: 5,
  })
  const inputs = randomInputs(2, 64, 3, 0, 1)

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'privinfer-cli-'))
    onnxPath = join(dir, 'mlp.onnx')
    await writeFile(onnxPath, onnx)
    await writeFile(join(dir, 'inputs.json'), JSON.stringify(inputs.map((x) => Array.from(x))))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('import compiles, checks HE against onnxruntime and writes the model folder', async () => {
    const result = await privinfer(
      'import',
      onnxPath,
      '--id',
      'tiny',
      '--models-dir',
      dir,
      '--compare',
      '3',
    )
    expect(result.polyModulusDegree).toBe(8192)
    // The smallest chain meeting the precision target: the lazy-output chain (depth 1), whose
    // tolerance (the plaintexts' exact encoding error, most of it here, plus 6σ) is below it.
    const reasons = result.reasons as string[]
    expect(reasons.some((r) => /^precision: tolerance .* <= target/.test(r))).toBe(true)
    expect(result.depth).toBe(1)
    const precision = result.precision as { maxAbsError: number; target: number }
    expect(precision.maxAbsError).toBeLessThanOrEqual(precision.target)
    expect(result.galoisSteps).toEqual(expect.arrayContaining([1]))
    // The CKKS tolerance plus the float64-vs-onnxruntime difference it measured; onnxruntime's own
    // float32 rounding on top (at scale 2^43 it is the larger part).
    const model = importOnnx(onnx)
    const float32 = Math.max(
      ...defaultCalibration(64)
        .slice(0, 3)
        .flatMap((x) => Array.from(float32Tolerance(model, x))),
    )
    expect(result.maxAbsError as number).toBeLessThan((result.tolerance as number) + float32)
    const card = JSON.parse(await readFile(join(dir, 'tiny', 'card.json'), 'utf8'))
    expect(card.he.galoisSteps).toEqual(result.galoisSteps)
    expect(card.input.layout.slotCount).toBe(4096)
    expect(card.comparison.inputs).toBe(3)
  })

  it('infer returns the decrypted outputs, close to onnxruntime', async () => {
    const result = await privinfer(
      'infer',
      '--model',
      'tiny',
      '--models-dir',
      dir,
      '--input',
      join(dir, 'inputs.json'),
    )
    const outputs = result.outputs as number[][]
    // An imported model has no DP guarantee: the status says so beside the result.
    expect(result.privacy).toBe('NON-PRIVATE')
    const plain = await createPlainModel(onnx)
    const expected = await plain.run(inputs)
    await plain.close()
    // The card's tolerance (toleranceFor(parameters, plan), written by import) covers the CKKS
    // error; onnxruntime's float32 rounding comes on top (at scale 2^43 it is the larger).
    const card = JSON.parse(await readFile(join(dir, 'tiny', 'card.json'), 'utf8'))
    const model = importOnnx(onnx)
    expect(outputs).toHaveLength(2)
    outputs.forEach((row, i) => {
      const float32 = float32Tolerance(model, inputs[i])
      row.forEach((value, j) =>
        expect(Math.abs(value - expected[i][j])).toBeLessThan(
          card.comparison.tolerance + float32[j],
        ),
      )
    })
  })

  it('bench reports server time and sizes as sent', async () => {
    const result = await privinfer('bench', '--model', 'tiny', '--models-dir', dir, '--reps', '2')
    for (const field of [
      'serverMs',
      'galoisKeyBytes',
      'relinKeyBytes',
      'inputBytes',
      'outputBytes',
    ]) {
      expect(result[field] as number).toBeGreaterThan(0)
    }
  })

  it('import --batch K writes maxBatch and the batch plan; infer packs inputs into queries, one output per input; bench --batch K reports per-input figures', async () => {
    const imported = await privinfer(
      'import',
      onnxPath,
      '--id',
      'tiny-batch',
      '--models-dir',
      dir,
      '--compare',
      '3',
      '--batch',
      '3',
      '--packing',
      'lanes',
    )
    // Lanes come in powers of two: a plan for 3 holds 4.
    expect(imported.maxBatch).toBe(4)
    expect(imported.packing).toBe('lanes')
    const card = JSON.parse(await readFile(join(dir, 'tiny-batch', 'card.json'), 'utf8'))
    expect(card.maxBatch).toBe(4)
    expect(card.batch.lanes).toBe(4)
    expect(card.batch.comparison.inputs).toBe(3)
    // onnxruntime's float32 rounding on top of the CKKS tolerance, as in the single-plan test.
    const model = importOnnx(onnx)
    const float32 = Math.max(
      ...[...defaultCalibration(64).slice(0, 3), ...randomInputs(6, 64, 8, 0, 1)].flatMap((x) =>
        Array.from(float32Tolerance(model, x)),
      ),
    )
    expect(card.batch.comparison.maxAbsError).toBeLessThan(
      card.batch.comparison.tolerance + float32,
    )
    const many = randomInputs(6, 64, 8, 0, 1)
    await writeFile(join(dir, 'many.json'), JSON.stringify(many.map((x) => Array.from(x))))
    const inferred = await privinfer(
      'infer',
      '--model',
      'tiny-batch',
      '--models-dir',
      dir,
      '--input',
      join(dir, 'many.json'),
    )
    const outputs = inferred.outputs as number[][]
    const plain = await createPlainModel(onnx)
    const expected = await plain.run(many)
    await plain.close()
    // 6 inputs in a full query of 4 and a partial one of 2, in input order, no padding rows.
    expect(outputs).toHaveLength(6)
    outputs.forEach((row, i) =>
      row.forEach((value, j) =>
        expect(Math.abs(value - expected[i][j])).toBeLessThan(
          card.batch.comparison.tolerance + float32,
        ),
      ),
    )
    const bench = await privinfer(
      'bench',
      '--model',
      'tiny-batch',
      '--models-dir',
      dir,
      '--reps',
      '1',
      '--batch',
      '4',
    )
    expect(bench.batch).toBe(4)
    expect(bench.msPerInput as number).toBeCloseTo((bench.serverMs as number) / 4, 6)
    for (const field of ['inputBytesPerInput', 'outputBytesPerInput', 'galoisKeyBytes'])
      expect(bench[field] as number).toBeGreaterThan(0)
  })

  it('a missing model is MODEL_NOT_FOUND', async () => {
    await expect(
      run(NODE, [
        CLI,
        'infer',
        '--model',
        'nope',
        '--models-dir',
        dir,
        '--input',
        'x.json',
        '--json',
      ]),
    ).rejects.toMatchObject({
      stdout: expect.stringContaining('MODEL_NOT_FOUND'),
    })
  })
})
