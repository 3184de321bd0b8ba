/**
 * Noise flooding through the real service (worker pool, real SEAL): the default test model served
 * with floodNoise (λ = 2) announces it in its card, requires the client's public key with the
 * evaluation keys (and refuses an upload without it), stores it like the other keys, and the client
 * library's flooded predictions keep onnxruntime's argmax on test digits whose top-2 margin exceeds
 * twice the card's flooded tolerance, with errors of the card's flood deviation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PrivinferClient } from '../../client/index.ts'
import { preprocessInput } from '../../client/preprocess.ts'
import { argmax } from '../../core/math/argmax.ts'
import { keyIdDigest } from '../../service/keystore/key-id.ts'
import { createPlainModel } from '../../service/plain/onnx-runtime.ts'
import { loadMnist } from '../../training/data/mnist.ts'
import { startTestService, type TestService } from './test-service.ts'

let test: TestService
beforeAll(async () => {
  test = await startTestService({}, { floodNoise: { securityBits: 2 } })
})
afterAll(async () => {
  await test?.close()
})

describe('a model served with noise flooding', () => {
  it('states the flood in its card and refuses keys without a public key', async () => {
    const card = await (await fetch(`${test.url}/v1/models/${test.modelId}`)).json()
    expect(card.he.flooding.securityBits).toBe(2)
    expect(card.he.flooding.outputTolerance).toBeGreaterThan(card.he.flooding.circuitTolerance)
    const form = new FormData()
    form.append('modelId', test.modelId)
    form.append('galoisKeys', new Blob([new Uint8Array(16)]), 'galois.seal')
    if (card.he.needsRelinKeys)
      form.append('relinKeys', new Blob([new Uint8Array(16)]), 'relin.seal')
    const response = await fetch(`${test.url}/v1/keys`, { method: 'POST', body: form })
    expect(response.status).toBe(400)
    const problem = await response.json()
    expect(problem.code).toBe('FIELD_MISSING')
    expect(problem.field ?? problem.details?.field).toBe('publicKey')
  })

  it('serves flooded predictions that keep the argmax, with the public key stored as public.bin', async () => {
    const client = await PrivinferClient.create({ baseUrl: test.url })
    const session = await client.openSession(test.modelId)
    try {
      const card = session.card
      const tolerance = card.he.flooding!.outputTolerance
      const mnist = loadMnist()
      const raws = [0, 1000, 2000, 3000, 4000].map((i) =>
        mnist.inputs.subarray(i * 784, (i + 1) * 784),
      )
      const plain = await createPlainModel(
        new Uint8Array(await readFile(join(test.modelDir, card.onnxFile))),
      )
      const expected = await plain.run(
        raws.map((raw) => preprocessInput(card.input.preprocessing, raw, card.input.rawSize)),
      )
      await plain.close()
      const errors: number[] = []
      for (const [i, raw] of raws.entries()) {
        const sorted = Array.from(expected[i]).sort((a, b) => b - a)
        expect(sorted[0] - sorted[1]).toBeGreaterThan(2 * tolerance)
        const prediction = await session.infer(raw)
        expect(prediction.label).toBe(argmax(expected[i]))
        prediction.logits.forEach((logit, j) => {
          const error = Math.abs(logit - expected[i][j])
          expect(error).toBeLessThan(tolerance)
          errors.push(error)
        })
      }
      // The flood is there: the errors' spread is the card's flood deviation (50 samples: within
      // a factor 2), far above the unflooded circuit error (about 1e-4 for this model).
      const rms = Math.sqrt(errors.reduce((sum, e) => sum + e * e, 0) / errors.length)
      expect(rms).toBeGreaterThan(card.he.flooding!.floodDeviation / 2)
      expect(rms).toBeLessThan(card.he.flooding!.floodDeviation * 2)
      const files = await readdir(join(test.keysDir, keyIdDigest(session.keyId)))
      expect(files).toContain('public.bin')
    } finally {
      await session.close()
    }
  })
})
