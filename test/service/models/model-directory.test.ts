import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ModelCard } from '../../../core/card.ts'
import { compileModel } from '../../../service/compiler/compile.ts'
import { withCompiledFields } from '../../../service/models/he-card.ts'
import { COMPILE_FILE, listModels, loadModelDirectory, writeModelDirectory, encryptionParametersBase64Of } from '../../../service/models/index.ts'
import { buildMlpOnnx } from '../../support/onnx-fixtures.ts'

describe('model folders (service/models)', () => {
  let modelsDir: string
  const onnxBytes = buildMlpOnnx({ sizes: [32, 16, 4], activation: 'square', seed: 2 })

  beforeAll(async () => {
    modelsDir = await mkdtemp(join(tmpdir(), 'privinfer-models-'))
  })
  afterAll(async () => {
    await rm(modelsDir, { recursive: true, force: true })
  })

  it('writes a folder that loads back to the same parameters, layouts and Galois steps', async () => {
    // A large-valued calibration input forces more headroom than the default calibration would.
    const calibration = [Array.from({ length: 32 }, () => 40)]
    const compiled = compileModel(onnxBytes, { calibration })
    const base = {
      formatVersion: 1,
      id: 'tiny',
      title: 'tiny',
      description: 'test',
      nonPrivate: true,
      onnxFile: 'model.onnx',
      labels: ['a', 'b', 'c', 'd'],
      input: { rawSize: 32, size: 32, preprocessing: { kind: 'none' } },
      output: { size: 4 },
      privacy: null,
      createdAt: new Date(0).toISOString(),
    } as unknown as ModelCard
    const card = withCompiledFields(base, compiled, await encryptionParametersBase64Of(compiled.parameters))
    await writeModelDirectory(join(modelsDir, 'tiny'), { onnxBytes, card, compiled })
    expect(await listModels(modelsDir)).toEqual(['tiny'])

    const loaded = await loadModelDirectory(join(modelsDir, 'tiny'))
    expect(loaded.compiled.parameters).toEqual(compiled.parameters)
    expect(loaded.compiled.galoisSteps).toEqual(compiled.galoisSteps)
    expect(loaded.card.he.coeffModulusBits).toEqual(compiled.parameters.coeffModulusBits)
    expect(loaded.card.input.layout).toEqual(compiled.inputLayout)
    expect(loaded.compiled.plan.plaintexts).toEqual(compiled.plan.plaintexts)
  })

  it('refuses a card whose HE parameters disagree with the ONNX file (stale card)', async () => {
    const dir = join(modelsDir, 'tiny')
    await rm(join(dir, COMPILE_FILE))
    const card = JSON.parse(await readFile(join(dir, 'card.json'), 'utf8')) as ModelCard
    card.he.coeffModulusBits = [30, 30, 30, 30]
    await writeFile(join(dir, 'card.json'), JSON.stringify(card))
    await expect(loadModelDirectory(dir)).rejects.toMatchObject({ code: 'INVALID_MODEL' })
  })
})
