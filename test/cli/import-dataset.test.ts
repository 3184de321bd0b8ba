/**
 * privinfer import --dataset / --test-indices: the card names the test data `privinfer evaluate`
 * draws from and the folder keeps the indices; bad values are refused before anything is written.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildMlpOnnx } from '../support/onnx-fixtures.ts'

const run = promisify(execFile)
const CLI = 'cli/privinfer.ts'

describe('privinfer import --dataset --test-indices', () => {
  let dir: string
  let onnxPath: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'privinfer-import-data-'))
    onnxPath = join(dir, 'mlp.onnx')
    await writeFile(onnxPath, buildMlpOnnx({ sizes: [16, 8, 10], activation: 'square', seed: 2 }))
    await writeFile(join(dir, 'indices.json'), JSON.stringify({ indices: [3, 1, 4, 1, 5] }))
    await writeFile(join(dir, 'bad-indices.json'), JSON.stringify({ indices: [10_000] }))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('writes card.data and copies the indices into the folder', async () => {
    await run(process.execPath, [
      CLI,
      'import',
      onnxPath,
      '--id',
      'fashion-tiny',
      '--models-dir',
      dir,
      '--compare',
      '1',
      '--dataset',
      'fashion-mnist',
      '--test-indices',
      join(dir, 'indices.json'),
      '--json',
    ])
    const card = JSON.parse(await readFile(join(dir, 'fashion-tiny', 'card.json'), 'utf8'))
    expect(card.data).toEqual({
      dataset: 'fashion-mnist',
      trainSize: 0,
      testSize: 10_000,
      testIndicesFile: 'test-indices.json',
    })
    const copied = JSON.parse(
      await readFile(join(dir, 'fashion-tiny', 'test-indices.json'), 'utf8'),
    )
    expect(copied.indices).toEqual([3, 1, 4, 1, 5])
  })

  it.each([
    ['--dataset', 'cifar10', /--dataset must be one of mnist, fashion-mnist/],
    ['--test-indices', 'bad-indices.json', /test rows \(0 \.\. 9999\)/],
  ])('refuses %s %s', async (flag, value, message) => {
    const argument = flag === '--test-indices' ? join(dir, value) : value
    const failure = await run(process.execPath, [
      CLI,
      'import',
      onnxPath,
      '--id',
      'refused',
      '--models-dir',
      dir,
      '--compare',
      '1',
      flag,
      argument,
    ]).then(
      () => undefined,
      (error: { stderr: string }) => error,
    )
    expect(failure?.stderr).toMatch(message)
    await expect(stat(join(dir, 'refused', 'card.json'))).rejects.toThrow()
  })
})
