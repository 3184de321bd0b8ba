/**
 * The served catalog's order (the default model first: DEFAULT_MODEL, else mnist-dp) and the real
 * test-image source on the bundled models' held-out splits.
 */
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ModelCard } from '../../../core/card.ts'
import { createTestImageSource } from '../../../service/models/test-images.ts'
import { loadServedModels } from '../../../service/pool/served-models.ts'
import { loadMnist } from '../../../training/data/mnist.ts'

const silent = pino({ level: 'silent' })

describe('loadServedModels: the default model comes first', () => {
  let modelsDir: string
  beforeAll(async () => {
    modelsDir = await mkdtemp(join(tmpdir(), 'privinfer-served-'))
    // fashion-mnist-dp sorts before mnist-dp by name.
    for (const id of ['fashion-mnist-dp', 'mnist-dp'])
      await cp(join('models', id), join(modelsDir, id), { recursive: true })
  })
  afterAll(async () => {
    await rm(modelsDir, { recursive: true, force: true })
  })

  it('mnist-dp without DEFAULT_MODEL (a DP model, as the README says)', async () => {
    const loaded = await loadServedModels(modelsDir, undefined, silent)
    expect(loaded.map((model) => model.card.id)).toEqual(['mnist-dp', 'fashion-mnist-dp'])
    expect(loaded[0].card.nonPrivate).toBe(false)
  })

  it('DEFAULT_MODEL when it is set', async () => {
    const loaded = await loadServedModels(modelsDir, 'fashion-mnist-dp', silent)
    expect(loaded.map((model) => model.card.id)).toEqual(['fashion-mnist-dp', 'mnist-dp'])
  })
})

describe('createTestImageSource on the bundled mnist-dp', () => {
  let card: ModelCard
  let indices: number[]
  beforeAll(async () => {
    card = JSON.parse(await readFile('models/mnist-dp/card.json', 'utf8')) as ModelCard
    indices = (
      JSON.parse(await readFile('models/mnist-dp/test-indices.json', 'utf8')) as {
        indices: number[]
      }
    ).indices
  })

  it('returns held-out rows with their true labels and pixels', async () => {
    const source = createTestImageSource([{ dir: 'models/mnist-dp', card }])
    const mnist = loadMnist()
    const held = new Set(indices)
    for (let draw = 0; draw < 20; draw++) {
      const image = await source.random('mnist-dp')
      expect(held.has(image.row)).toBe(true)
      expect(image).toMatchObject({ modelId: 'mnist-dp', dataset: 'mnist', width: 28, height: 28 })
      expect(image.label).toBe(mnist.labels[image.row])
      expect(image.labelName).toBe(card.labels[image.label])
      const expected = mnist.inputs.subarray(image.row * 784, (image.row + 1) * 784)
      const worst = Math.max(...image.pixels.map((value, i) => Math.abs(value - expected[i])))
      expect(worst).toBeLessThanOrEqual(5e-5)
    }
  })

  it('DATASET_UNAVAILABLE for a model without a test split here, and for a missing dataset', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'privinfer-no-split-'))
    try {
      const source = createTestImageSource([
        { dir: empty, card },
        {
          dir: 'models/fashion-mnist-dp',
          card: { ...card, id: 'f', data: { dataset: 'fashion-mnist', trainSize: 0, testSize: 0 } },
        },
      ], { fashionMnistDir: join(empty, 'no-such-dir') })
      await expect(source.random('mnist-dp')).rejects.toMatchObject({ code: 'DATASET_UNAVAILABLE' })
      await expect(source.random('f')).rejects.toMatchObject({
        code: 'DATASET_UNAVAILABLE',
        message: expect.stringContaining('apt-get install dataset-fashion-mnist'),
      })
      await expect(source.random('nope')).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' })
    } finally {
      await rm(empty, { recursive: true, force: true })
    }
  })
})
