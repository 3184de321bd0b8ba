/**
 * Batch queries over HTTP (fake executor): the declared packing and maxBatch must be the card's,
 * the features packing sends one `input` part per feature and gets the result ciphertexts back
 * concatenated; a query made for another K or layout is refused with 422 BATCH_LAYOUT_MISMATCH;
 * single-input queries are unchanged.
 */
import { describe, expect, it } from 'vitest'
import request from 'supertest'
import type { ModelCard } from '../../../core/card.ts'
import {
  FAKE_RESULT,
  GOOD_CIPHERTEXT,
  GOOD_KEYS,
  buildTestApp,
  fakeCard,
  type TestApp,
} from './fakes.ts'
import { expectProblem } from './expect-problem.ts'

function batchCard(): ModelCard {
  return {
    ...fakeCard('gamma', { needsRelinKeys: false }),
    maxBatch: 1024,
    batch: {
      packing: 'features',
      maxBatch: 1024,
      inputCiphertexts: 3,
      outputCiphertexts: 2,
      inputLevel: 1,
      outputLevel: 0,
      opCounts: {},
      reasons: [],
    },
  }
}

async function setUp(): Promise<{ test: TestApp; keyId: string }> {
  const test = buildTestApp({ extraCards: [batchCard()] })
  test.executor.batchOutputs = 2
  const uploaded = await request(test.app)
    .post('/v1/keys')
    .field('modelId', 'gamma')
    .attach('galoisKeys', Buffer.from(GOOD_KEYS), 'g')
  expect(uploaded.status).toBe(201)
  return { test, keyId: uploaded.body.keyId as string }
}

function batchQuery(
  test: TestApp,
  modelId: string,
  keyId: string,
  fields: Record<string, string>,
  parts: number,
) {
  let query = request(test.app).post(`/v1/models/${modelId}/infer`).field('keyId', keyId)
  for (const [name, value] of Object.entries(fields)) query = query.field(name, value)
  for (let i = 0; i < parts; i++)
    query = query.attach('input', Buffer.from(GOOD_CIPHERTEXT), `x${i}`)
  return query
}

describe('POST /v1/models/{id}/infer with a batch query', () => {
  it('runs the batch plan on one part per feature and returns the results concatenated', async () => {
    const { test, keyId } = await setUp()
    const response = await batchQuery(
      test,
      'gamma',
      keyId,
      { packing: 'features', maxBatch: '1024' },
      3,
    ).buffer(true)
    expect(response.status).toBe(200)
    expect(response.headers['x-privinfer-ciphertexts']).toBe('2')
    expect([...new Uint8Array(response.body as Buffer)]).toEqual([...FAKE_RESULT, ...FAKE_RESULT])
    expect(test.executor.lastBatchInputs).toBe(3)
  })

  it.each([
    ['another K', { packing: 'features', maxBatch: '4096' }, 3],
    ['another packing', { packing: 'lanes', maxBatch: '1024' }, 3],
    ['a K without its packing', { maxBatch: '1024' }, 3],
  ])('refuses a query made for %s with 422 BATCH_LAYOUT_MISMATCH', async (_name, fields, parts) => {
    const { test, keyId } = await setUp()
    const response = await batchQuery(test, 'gamma', keyId, fields, parts)
    expectProblem(response, 422, 'BATCH_LAYOUT_MISMATCH')
    expect(response.body.expected).toEqual({ packing: 'features', maxBatch: 1024 })
    expect(test.executor.inferred).toBe(0)
  })

  it('refuses the wrong number of input parts with 422 BATCH_LAYOUT_MISMATCH', async () => {
    const { test, keyId } = await setUp()
    const response = await batchQuery(
      test,
      'gamma',
      keyId,
      { packing: 'features', maxBatch: '1024' },
      2,
    )
    expectProblem(response, 422, 'BATCH_LAYOUT_MISMATCH')
    expect(response.body).toMatchObject({ got: 2, expected: 3 })
  })

  it('refuses a batch query to a model without a batch plan', async () => {
    const test = buildTestApp()
    const uploaded = await request(test.app)
      .post('/v1/keys')
      .field('modelId', 'beta')
      .attach('galoisKeys', Buffer.from(GOOD_KEYS), 'g')
    const response = await batchQuery(
      test,
      'beta',
      uploaded.body.keyId as string,
      { packing: 'features', maxBatch: '1024' },
      1,
    )
    expectProblem(response, 422, 'BATCH_LAYOUT_MISMATCH')
    expect(response.body.expected).toBeNull()
  })

  it('keeps single-input queries of a batch model unchanged (one part, no batch fields)', async () => {
    const { test, keyId } = await setUp()
    const single = await batchQuery(test, 'gamma', keyId, {}, 1).buffer(true)
    expect(single.status).toBe(200)
    expect([...new Uint8Array(single.body as Buffer)]).toEqual([...FAKE_RESULT])
    expectProblem(await batchQuery(test, 'gamma', keyId, {}, 2), 400, 'MULTIPART_MALFORMED')
  })
})
