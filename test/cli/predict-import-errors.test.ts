/**
 * CLI errors that need a model: inputs checked against the card before any key is uploaded
 * (length, card.input.range, 0-255 pixels scaled with a note), and `import` onto an existing id
 * (MODEL_EXISTS unless --force; --force writes a fresh card).
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadMnist } from '../../training/data/mnist.ts'
import { buildMlpOnnx } from '../support/onnx-fixtures.ts'
import { startTestService, type TestService } from '../e2e/test-service.ts'

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
      { timeout: 120_000, maxBuffer: 1 << 24 },
      (error, stdout, stderr) => {
        resolve({ exitCode: error ? Number(error.code) : 0, stdout, stderr })
      },
    )
  })
}

function expectFailure(outcome: Outcome, code: string): string {
  expect(outcome.exitCode).toBe(1)
  expect(outcome.stderr).not.toMatch(/\n\s+at /)
  const lines = outcome.stderr.split('\n').filter((line) => line !== '')
  expect(lines).toHaveLength(1)
  const match = /^privinfer: (.*) \[([A-Z_]+)\]$/.exec(lines[0])
  expect(match?.[2]).toBe(code)
  return match![1]
}

describe('privinfer predict checks inputs against the card', () => {
  let service: TestService
  let dir: string
  let digit: number[]
  let digitLabel: number
  beforeAll(async () => {
    service = await startTestService()
    dir = await mkdtemp(join(tmpdir(), 'privinfer-cli-predict-'))
    const { indices } = JSON.parse(
      await readFile(join(service.modelDir, 'test-indices.json'), 'utf8'),
    ) as { indices: number[] }
    const mnist = loadMnist()
    const row = indices[0]
    digit = Array.from(mnist.inputs.subarray(row * 784, (row + 1) * 784))
    digitLabel = mnist.labels[row]
  })
  afterAll(async () => {
    await service?.close()
    await rm(dir, { recursive: true, force: true })
  })

  const predict = async (vector: number[], ...extra: string[]) => {
    const file = join(dir, `input-${Math.random().toString(36).slice(2)}.json`)
    await writeFile(file, JSON.stringify(vector))
    return privinfer(
      'predict',
      '--server',
      service.url,
      '--model',
      service.modelId,
      '--input',
      file,
      ...extra,
    )
  }

  it('a value outside card.input.range is INPUT_INVALID, and no keys reach the service', async () => {
    const bad = digit.slice()
    bad[100] = 1.5
    const message = expectFailure(await predict(bad), 'INPUT_INVALID')
    expect(message).toBe(
      "--input: vector 0: input value 1.5 at index 100 is outside the model's input range [0, 1]",
    )
    expect(await readdir(service.keysDir).catch(() => [])).toEqual([])
  })

  it('a vector of the wrong length is INPUT_INVALID naming both lengths', async () => {
    const message = expectFailure(await predict(digit.slice(0, 196)), 'INPUT_INVALID')
    expect(message).toBe(`--input: vector 0 has 196 values; model '${service.modelId}' takes 784`)
  })

  it('0-255 pixels are scaled by 1/255 with a note, and predict the same label as [0, 1] ones', async () => {
    const bytes = digit.map((value) => Math.round(value * 255))
    const outcome = await predict(bytes, '--json')
    expect(outcome.exitCode).toBe(0)
    expect(outcome.stderr).toContain(
      "--input: 1 of 1 vector(s) hold 0-255 pixel values; scaled by 1/255 to the model's input range [0, 1]",
    )
    const result = JSON.parse(outcome.stdout) as { predictions: Array<{ label: number }> }
    expect(result.predictions[0].label).toBe(digitLabel)
  })
})

describe('privinfer import onto an existing model id', () => {
  let dir: string
  const first = buildMlpOnnx({
    sizes: [64, 16, 10],
    activation: 'poly',
    coefficients: [0, 0.5, 0.25],
    seed: 3,
  })
  const second = buildMlpOnnx({
    sizes: [32, 16, 10],
    activation: 'poly',
    coefficients: [0, 0.5, 0.25],
    seed: 4,
  })
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'privinfer-cli-import-'))
    await writeFile(join(dir, 'first.onnx'), first)
    await writeFile(join(dir, 'second.onnx'), second)
    const imported = await privinfer(
      'import',
      join(dir, 'first.onnx'),
      '--id',
      'm',
      '--models-dir',
      dir,
      '--compare',
      '1',
      '--json',
    )
    expect(imported.exitCode).toBe(0)
    // What a trained model's folder holds beyond the import: a DP card and its documents.
    const cardPath = join(dir, 'm', 'card.json')
    const card = JSON.parse(await readFile(cardPath, 'utf8')) as Record<string, unknown>
    await writeFile(
      cardPath,
      JSON.stringify({
        ...card,
        title: 'old model (DP, epsilon 3)',
        nonPrivate: false,
        privacy: { epsilon: 3, delta: 1e-5 },
        accuracy: { plaintext: 0.9, he: 0.9, testExamples: 10 },
      }),
    )
    await writeFile(join(dir, 'm', 'card.md'), '# old model\n')
    await writeFile(join(dir, 'm', 'test-indices.json'), '{"indices":[1,2,3]}')
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('without --force: MODEL_EXISTS, and the folder is left as it was', async () => {
    const before = await readFile(join(dir, 'm', 'card.json'), 'utf8')
    const outcome = await privinfer(
      'import',
      join(dir, 'second.onnx'),
      '--id',
      'm',
      '--models-dir',
      dir,
    )
    expect(expectFailure(outcome, 'MODEL_EXISTS')).toBe(
      `${join(dir, 'm')} already holds model 'm' ('old model (DP, epsilon 3)'); choose another --id, or add --force to replace it (its card is not kept)`,
    )
    expect(await readFile(join(dir, 'm', 'card.json'), 'utf8')).toBe(before)
  })

  it('with --force: a fresh card for the new file; nothing of the old card or folder is kept', async () => {
    const outcome = await privinfer(
      'import',
      join(dir, 'second.onnx'),
      '--id',
      'm',
      '--models-dir',
      dir,
      '--compare',
      '1',
      '--force',
      '--json',
    )
    expect(outcome.exitCode).toBe(0)
    const card = JSON.parse(await readFile(join(dir, 'm', 'card.json'), 'utf8'))
    expect(card.title).toBe('m')
    expect(card.nonPrivate).toBe(true)
    expect(card.privacy).toBeNull()
    expect(card.accuracy).toBeUndefined()
    expect(card.input.rawSize).toBe(32)
    expect(card.input.size).toBe(32)
    expect(card.comparison.inputs).toBe(1)
    expect(existsSync(join(dir, 'm', 'card.md'))).toBe(false)
    expect(existsSync(join(dir, 'm', 'test-indices.json'))).toBe(false)
  })
})
