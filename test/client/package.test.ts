/**
 * The client as a package another project installs: `npm pack ./packages/client` (its prepack builds
 * ESM JavaScript + .d.ts), installed into a scratch project (its one dependency, node-seal, from the
 * local npm cache), then an encrypted prediction against a local service from plain JavaScript and
 * from TypeScript (type-checked by `tsc --noEmit` on the consumer, with no skipped library check).
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { preprocessInput } from '../../client/preprocess.ts'
import { argmax } from '../../core/math/argmax.ts'
import { createPlainModel } from '../../service/plain/onnx-runtime.ts'
import { loadMnist } from '../../training/data/mnist.ts'
import { startTestService, type TestService } from '../e2e/test-service.ts'

const run = promisify(execFile)
const ROOT = resolve('.')

const CONSUMER_JS = `import { PrivinferClient } from 'privinfer-client'
import { readFileSync } from 'node:fs'

const [url, modelId, file] = process.argv.slice(2)
const client = await PrivinferClient.create({ baseUrl: url })
const session = await client.openSession(modelId)
try {
  const prediction = await session.infer(JSON.parse(readFileSync(file, 'utf8')))
  // keysDir loads the package's Node-only module (dist/node/key-directory.js) on demand.
  const saved = await client.openSession(modelId, { keysDir: 'private-keys' })
  const again = await saved.infer(JSON.parse(readFileSync(file, 'utf8')))
  await saved.close()
  console.log(JSON.stringify({ label: prediction.label, savedLabel: again.label }))
} finally {
  await session.close()
}
`

const CONSUMER_TS = `import { PrivinferClient, PrivinferError, type ModelSummary, type Prediction } from 'privinfer-client'
import { readFileSync } from 'node:fs'

const [url, modelId, file] = process.argv.slice(2)
const client: PrivinferClient = await PrivinferClient.create({ baseUrl: url })
const models: ModelSummary[] = await client.listModels()
if (!models.some((model) => model.id === modelId && model.default)) throw new Error('no default model')
try {
  await client.openSession('no-such-model')
} catch (error) {
  if (!(error instanceof PrivinferError) || error.code !== 'MODEL_NOT_FOUND') throw error
}
const session = await client.openSession(modelId)
try {
  const pixels: number[] = JSON.parse(readFileSync(file, 'utf8')) as number[]
  const prediction: Prediction = await session.infer(pixels)
  console.log(JSON.stringify({ label: prediction.label, labelName: prediction.labelName }))
} finally {
  await session.close()
}
`

describe('the packed client in another project', () => {
  let scratch: string
  let service: TestService
  let digitFile: string
  let expectedLabel: number
  let tarball: string

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'privinfer-consumer-'))
    const packing = run(
      'npm',
      ['pack', './packages/client', '--pack-destination', scratch, '--json'],
      {
        cwd: ROOT,
        maxBuffer: 1 << 24,
      },
    )
    service = await startTestService()
    const { stdout } = await packing
    const [packed] = JSON.parse(stdout) as Array<{
      filename: string
      files: Array<{ path: string }>
    }>
    tarball = join(scratch, packed.filename)
    // What the tarball holds: the built library and its declarations, no sources.
    const paths = packed.files.map((file) => file.path)
    expect(paths).toEqual(expect.arrayContaining(['package.json', 'README.md', 'dist/index.js']))
    expect(paths).toContain('dist/types/client/index.d.ts')
    expect(paths.filter((path) => path.endsWith('.ts') && !path.endsWith('.d.ts'))).toEqual([])

    await writeFile(
      join(scratch, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
    )
    await run('npm', ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund'], {
      cwd: scratch,
    })
    await writeFile(join(scratch, 'consumer.mjs'), CONSUMER_JS)
    await writeFile(join(scratch, 'consumer.ts'), CONSUMER_TS)
    await writeFile(
      join(scratch, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2023',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          lib: ['ES2023', 'DOM'],
          types: ['node'],
          typeRoots: [join(ROOT, 'node_modules', '@types')],
          strict: true,
          noEmit: true,
          skipLibCheck: false,
        },
        files: ['consumer.ts'],
      }),
    )

    // A held-out digit, and the label onnxruntime gives it (HE agrees with it on mnist-dp).
    const { indices } = JSON.parse(
      await readFile(join(service.modelDir, 'test-indices.json'), 'utf8'),
    ) as { indices: number[] }
    const mnist = loadMnist()
    const row = indices[1]
    const pixels = Array.from(mnist.inputs.subarray(row * 784, (row + 1) * 784))
    digitFile = join(scratch, 'digit.json')
    await writeFile(digitFile, JSON.stringify(pixels))
    const card = JSON.parse(await readFile(join(service.modelDir, 'card.json'), 'utf8'))
    const plain = await createPlainModel(
      new Uint8Array(await readFile(join(service.modelDir, card.onnxFile))),
    )
    const [logits] = await plain.run([
      preprocessInput(card.input.preprocessing, pixels, card.input.rawSize),
    ])
    await plain.close()
    expectedLabel = argmax(logits)
  })
  afterAll(async () => {
    await service?.close()
    if (scratch) await rm(scratch, { recursive: true, force: true })
  })

  it('exports ESM JavaScript and types: package.json exports map', async () => {
    const manifest = JSON.parse(
      await readFile(join(scratch, 'node_modules', 'privinfer-client', 'package.json'), 'utf8'),
    )
    expect(manifest.type).toBe('module')
    expect(manifest.exports['.']).toEqual({
      types: './dist/types/client/index.d.ts',
      default: './dist/index.js',
    })
    expect(Object.keys(manifest.dependencies)).toEqual(['node-seal'])
  })

  it('predicts from plain JavaScript', async () => {
    const { stdout } = await run(
      process.execPath,
      ['consumer.mjs', service.url, service.modelId, digitFile],
      { cwd: scratch },
    )
    expect(JSON.parse(stdout)).toEqual({ label: expectedLabel, savedLabel: expectedLabel })
    // The secret key saved by keysDir stays in the consumer's folder, owner-only.
    const { stat } = await import('node:fs/promises')
    expect((await stat(join(scratch, 'private-keys'))).mode & 0o777).toBe(0o700)
  })

  it('type-checks (tsc --noEmit) and predicts from TypeScript', async () => {
    await run(join(ROOT, 'node_modules', '.bin', 'tsc'), ['--noEmit', '-p', scratch], {
      cwd: scratch,
    })
    const { stdout } = await run(
      process.execPath,
      ['consumer.ts', service.url, service.modelId, digitFile],
      { cwd: scratch },
    )
    expect(JSON.parse(stdout)).toEqual({ label: expectedLabel, labelName: String(expectedLabel) })
  })

  it('a type error in the consumer fails tsc (the check above has teeth)', async () => {
    await writeFile(
      join(scratch, 'wrong.ts'),
      "import { PrivinferClient } from 'privinfer-client'\nconst n: number = PrivinferClient.create({ baseUrl: 'x' })\n",
    )
    const config = JSON.parse(await readFile(join(scratch, 'tsconfig.json'), 'utf8'))
    await writeFile(
      join(scratch, 'tsconfig.wrong.json'),
      JSON.stringify({ ...config, files: ['wrong.ts'] }),
    )
    await expect(
      run(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', join(scratch, 'tsconfig.wrong.json')], {
        cwd: scratch,
      }),
    ).rejects.toMatchObject({ stdout: expect.stringContaining('TS2322') })
  })
})
