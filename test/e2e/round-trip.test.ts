/**
 * The client library against the real service on a local port: 20 MNIST test digits encrypted here,
 * inferred by the service's worker pool (real SEAL), decrypted here, matching onnxruntime's argmax.
 * While the keys are stored, keys/ holds only evaluation keys and metadata; after close, nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { PrivinferClient, type PrivinferSession } from '../../client/index.ts'
import { preprocessInput } from '../../client/preprocess.ts'
import { createCkksContext } from '../../core/ckks/context.ts'
import { loadEvaluationKeys } from '../../core/he/evaluation-keys.ts'
import { loadSeal } from '../../core/seal/load.ts'
import { parseSealHeader } from '../../core/wire/seal-header.ts'
import { keyIdDigest } from '../../service/keystore/key-id.ts'
import { createPlainModel } from '../../service/plain/onnx-runtime.ts'
import { loadMnist } from '../../training/data/mnist.ts'
import { startTestService, type TestService } from './test-service.ts'

const DIGITS = 20
let test: TestService

beforeAll(async () => {
  test = await startTestService()
})
afterAll(async () => {
  await test?.close()
})

async function testDigits(modelDir: string): Promise<{ inputs: Float32Array[]; labels: number[] }> {
  const mnist = loadMnist()
  const { indices } = JSON.parse(
    await readFile(join(modelDir, 'test-indices.json'), 'utf8').catch(() => '{"indices":[]}'),
  ) as { indices: number[] }
  const pool = indices.length >= DIGITS ? indices : Array.from({ length: 1000 }, (_, i) => i * 10)
  const rows = Array.from(
    { length: DIGITS },
    (_, i) => pool[Math.floor((i * pool.length) / DIGITS)],
  )
  return {
    inputs: rows.map((row) => mnist.inputs.subarray(row * 784, (row + 1) * 784)),
    labels: rows.map((row) => mnist.labels[row]),
  }
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true })
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
}

describe('client library against the running service', () => {
  let session: PrivinferSession

  it('classifies 20 encrypted MNIST digits like onnxruntime', async () => {
    const client = await PrivinferClient.create({ baseUrl: test.url })
    expect((await client.listModels()).map((model) => model.id)).toEqual([test.modelId])
    session = await client.openSession(test.modelId)
    const { inputs } = await testDigits(test.modelDir)
    const card = session.card
    const plain = await createPlainModel(
      new Uint8Array(await readFile(join(test.modelDir, card.onnxFile))),
    )
    const expected = await plain.run(
      inputs.map((raw) => preprocessInput(card.input.preprocessing, raw, card.input.rawSize)),
    )
    await plain.close()
    const argmax = (values: ArrayLike<number>) =>
      Array.from(values).indexOf(Math.max(...Array.from(values)))
    const heLabels: number[] = []
    for (const input of inputs) heLabels.push((await session.infer(input)).label)
    expect(heLabels).toEqual(expected.map(argmax))
  })

  it('stores only Galois/relinearization keys and metadata in keys/, never a secret key', async () => {
    const files = await listFiles(test.keysDir)
    // Folders are named by a digest of the key id: the id (a bearer capability) is written nowhere.
    const keyDir = join(test.keysDir, keyIdDigest(session.keyId))
    const expectedNames = [
      'galois.bin',
      'metadata.json',
      ...(session.card.he.needsRelinKeys ? ['relin.bin'] : []),
    ].sort()
    expect(files.map((file) => file.slice(test.keysDir.length + 1)).sort()).toEqual(
      expectedNames.map((name) => `${keyIdDigest(session.keyId)}/${name}`),
    )

    const metadata = JSON.parse(await readFile(join(keyDir, 'metadata.json'), 'utf8')) as Record<
      string,
      unknown
    >
    expect(Object.keys(metadata).sort()).toEqual([
      'createdAt',
      'expiresAt',
      'galoisKeyBytes',
      'modelId',
      'owner',
      'relinKeyBytes',
    ])
    expect(JSON.stringify(metadata)).not.toContain(session.keyId)

    // Each .bin file is exactly one SEAL object (header size = file size) that loads as the
    // evaluation key it is named after, under the model's parameters: no room for a SecretKey.
    const galoisKeys = new Uint8Array(await readFile(join(keyDir, 'galois.bin')))
    const relinKeys = session.card.he.needsRelinKeys
      ? new Uint8Array(await readFile(join(keyDir, 'relin.bin')))
      : undefined
    for (const bytes of [galoisKeys, relinKeys])
      if (bytes) expect(parseSealHeader(bytes).declaredBytes).toBe(bytes.length)
    const { he } = session.card
    const ctx = createCkksContext(await loadSeal(), {
      polyModulusDegree: he.polyModulusDegree,
      coeffModulusBits: he.coeffModulusBits,
      scaleBits: he.scaleBits,
    })
    try {
      const loaded = loadEvaluationKeys(
        ctx,
        relinKeys ? { galoisKeys, relinKeys } : { galoisKeys },
        { galoisSteps: he.galoisSteps, relin: he.needsRelinKeys },
      )
      expect(loaded.galoisKeys.size()).toBe(new Set(he.galoisSteps).size)
      loaded.delete()
    } finally {
      ctx.delete()
    }
    // Owner-only permissions.
    const { stat } = await import('node:fs/promises')
    expect((await stat(keyDir)).mode & 0o077).toBe(0)
    expect((await stat(join(keyDir, 'galois.bin'))).mode & 0o077).toBe(0)
  })

  it('deletes the remote keys on close: keys/ is empty, and the key id is gone', async () => {
    const keyId = session.keyId
    await session.close()
    expect(await listFiles(test.keysDir)).toEqual([])
    const response = await fetch(`${test.url}/v1/keys/${keyId}`, { method: 'DELETE' })
    expect(response.status).toBe(404)
    expect(((await response.json()) as { code: string }).code).toBe('KEY_NOT_FOUND')
  })
})
