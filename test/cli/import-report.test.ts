/**
 * `privinfer import` on PyTorch fixtures: the approximation report (every approximated node, the
 * approximated model against onnxruntime) in the output and the card; the trailing Softmax /
 * Sigmoid named on the card and applied after decryption, so `privinfer infer --json` returns the
 * ONNX model's own outputs (compared one to one with onnxruntime); and the precision target
 * refused with PRECISION_NOT_MET (exit 1, one line naming the code, no model folder written).
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ModelCard } from '../../core/card.ts'
import { createPlainModel } from '../../service/plain/onnx-runtime.ts'
import { loadModelDirectory } from '../../service/models/index.ts'
import { buildMlpOnnx } from '../support/onnx-fixtures.ts'
import {
  breastCancer,
  fashionSample,
  TORCH_FIXTURES_DIR,
  torchFixtureBytes,
} from '../support/torch-fixtures.ts'

interface Outcome {
  exitCode: number
  stdout: string
  stderr: string
}

function privinfer(...args: string[]): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['cli/privinfer.ts', ...args],
      { timeout: 600_000, maxBuffer: 1 << 24 },
      (error, stdout, stderr) => {
        resolve({ exitCode: error ? Number(error.code) : 0, stdout, stderr })
      },
    )
  })
}

async function privinferJson(...args: string[]): Promise<Record<string, unknown>> {
  const outcome = await privinfer(...args, '--json')
  expect(outcome.stderr.split('\n').filter((l) => l.startsWith('privinfer:'))).toEqual([])
  expect(outcome.exitCode).toBe(0)
  const lines = outcome.stdout.trim().split('\n')
  expect(lines).toHaveLength(1)
  return JSON.parse(lines[0]) as Record<string, unknown>
}

async function onnxruntime(name: string, inputs: number[][]): Promise<Float64Array[]> {
  const plain = await createPlainModel(torchFixtureBytes(name))
  try {
    return await plain.run(inputs)
  } finally {
    await plain.close()
  }
}

describe('privinfer import reports approximations and post-processing', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'privinfer-import-report-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('tabular-sigmoid: the fitted Relu on the card and in --json; infer returns sigmoid probabilities', async () => {
    const data = breastCancer()
    const calibration = join(dir, 'cancer-calibration.json')
    await writeFile(
      calibration,
      JSON.stringify(data.trainRows.slice(0, 128).map((r) => data.features[r])),
    )
    const result = await privinferJson(
      'import',
      join(TORCH_FIXTURES_DIR, 'tabular-sigmoid.onnx'),
      '--id',
      'cancer',
      '--models-dir',
      dir,
      '--calibration',
      calibration,
      '--compare',
      '2',
    )
    const card = JSON.parse(await readFile(join(dir, 'cancer', 'card.json'), 'utf8')) as ModelCard
    expect(result.approximation).toEqual(card.approximation)
    expect(card.output.postprocessing).toBe('sigmoid')
    const approximation = card.approximation!
    expect(approximation.nodes).toHaveLength(1)
    const [relu] = approximation.nodes
    expect(relu.ops).toEqual(['Relu'])
    expect(relu.node).toContain('Relu')
    expect(relu.function).toMatch(/relu/)
    expect(relu.method).toBe('fit')
    expect(relu.degree).toBeGreaterThanOrEqual(3)
    expect(relu.interval[0]).toBeLessThan(relu.range[0])
    expect(relu.interval[1]).toBeGreaterThan(relu.range[1])
    expect(relu.maxFitError).toBeGreaterThan(0)
    expect(approximation.check.inputs).toBe(128)
    expect(approximation.check.agreement).toBeGreaterThanOrEqual(0.98)
    expect(approximation.check.maxAbsDifference).toBeLessThan(1)
    const precision = result.precision as { maxAbsError: number; target: number }
    expect(precision.maxAbsError).toBeLessThanOrEqual(precision.target)

    // The loader evaluates the polynomials import fitted and checked (compile.json keeps them), not
    // a new fit on other calibration data.
    const record = JSON.parse(await readFile(join(dir, 'cancer', 'compile.json'), 'utf8')) as {
      fitted: Array<{ name: string; coefficients: number[][] }>
    }
    expect(record.fitted.map((f) => f.name)).toEqual([relu.node])
    const loaded = await loadModelDirectory(join(dir, 'cancer'))
    const layer = loaded.compiled.approximatedModel.layers.find((l) => l.kind === 'chebyshev')
    expect(layer?.kind === 'chebyshev' && layer.coefficients.map((c) => Array.from(c))).toEqual(
      record.fitted[0].coefficients,
    )

    const rows = data.testRows.slice(0, 3).map((r) => data.features[r])
    await writeFile(join(dir, 'cancer-rows.json'), JSON.stringify(rows))
    const inferred = await privinferJson(
      'infer',
      '--model',
      'cancer',
      '--models-dir',
      dir,
      '--input',
      join(dir, 'cancer-rows.json'),
    )
    expect(inferred.postprocessing).toBe('sigmoid')
    const outputs = inferred.outputs as number[][]
    const expected = await onnxruntime('tabular-sigmoid', rows)
    outputs.forEach((row, r) => {
      expect(row).toHaveLength(1)
      expect(row[0]).toBeGreaterThan(0)
      expect(row[0]).toBeLessThan(1)
      // The client's sigmoid of the decrypted logit...
      const logit = (inferred.logits as number[][])[r][0]
      expect(row[0]).toBeCloseTo(1 / (1 + Math.exp(-logit)), 12)
      // ...is onnxruntime's probability up to the approximation's difference and the CKKS tolerance.
      expect(Math.abs(row[0] - expected[r][0])).toBeLessThanOrEqual(
        approximation.check.maxAbsDifference + card.comparison!.tolerance,
      )
      expect(row[0] > 0.5).toBe(expected[r][0] > 0.5)
    })
  }, 600_000)

  it('mlp-softmax: infer --json returns softmax probabilities matching onnxruntime', async () => {
    const result = await privinferJson(
      'import',
      join(TORCH_FIXTURES_DIR, 'mlp-softmax.onnx'),
      '--id',
      'softmax',
      '--models-dir',
      dir,
      '--calibration',
      join(TORCH_FIXTURES_DIR, 'fashion-mnist-calibration.json'),
      '--compare',
      '2',
    )
    expect(result.postprocessing).toBe('softmax')
    // A square MLP: nothing approximated.
    expect(result.approximation).toBeUndefined()
    const images = fashionSample()
      .images.slice(0, 2)
      .map((x) => Array.from(x))
    await writeFile(join(dir, 'images.json'), JSON.stringify(images))
    const inferred = await privinferJson(
      'infer',
      '--model',
      'softmax',
      '--models-dir',
      dir,
      '--input',
      join(dir, 'images.json'),
    )
    const outputs = inferred.outputs as number[][]
    const logits = inferred.logits as number[][]
    const expected = await onnxruntime('mlp-softmax', images)
    outputs.forEach((row, r) => {
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9)
      for (let j = 0; j < row.length; j++)
        expect(Math.abs(row[j] - expected[r][j])).toBeLessThan(1e-3)
      // The plan's logits are not probabilities.
      expect(Math.max(...logits[r].map(Math.abs))).toBeGreaterThan(1)
    })
  }, 600_000)

  it('refuses an output precision no parameters meet: exit 1, one line naming PRECISION_NOT_MET', async () => {
    const onnxPath = join(dir, 'small.onnx')
    await writeFile(
      onnxPath,
      buildMlpOnnx({ sizes: [16, 8, 4], activation: 'poly', coefficients: [0, 0, 1], seed: 3 }),
    )
    const outcome = await privinfer(
      'import',
      onnxPath,
      '--id',
      'impossible',
      '--models-dir',
      dir,
      '--output-precision',
      '1e-13',
    )
    expect(outcome.exitCode).toBe(1)
    const lines = outcome.stderr.split('\n').filter((line) => line.startsWith('privinfer:'))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/precision.*\[PRECISION_NOT_MET\]$/)
    expect(outcome.stderr).not.toMatch(/\n\s+at /)
    expect(existsSync(join(dir, 'impossible'))).toBe(false)

    const bad = await privinfer(
      'import',
      onnxPath,
      '--id',
      'bad',
      '--models-dir',
      dir,
      '--output-precision',
      '-1',
    )
    expect(bad.exitCode).toBe(1)
    expect(bad.stderr).toMatch(/--output-precision.*\[OPTION_INVALID\]/)
  }, 600_000)
})
