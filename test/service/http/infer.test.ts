import { describe, expect, it } from 'vitest'
import request from 'supertest'
import {
  FAKE_RESULT,
  GOOD_CIPHERTEXT,
  GOOD_KEYS,
  buildTestApp,
  fakeCard,
  type TestApp,
} from './fakes.ts'
import { expectProblem } from './expect-problem.ts'
import { uploadLimitsFor } from '../../../service/http/upload-limits.ts'

async function uploadKeys(test: TestApp, modelId = 'beta'): Promise<string> {
  const response = await request(test.app)
    .post('/v1/keys')
    .field('modelId', modelId)
    .attach('galoisKeys', Buffer.from(GOOD_KEYS), 'g')
  expect(response.status).toBe(201)
  return response.body.keyId as string
}

function infer(test: TestApp, modelId: string, keyId: string, input: Uint8Array) {
  return request(test.app)
    .post(`/v1/models/${modelId}/infer`)
    .field('keyId', keyId)
    .attach('input', Buffer.from(input), 'input.bin')
}

const withMarker = (third: number) => Uint8Array.from([0x5e, 0xa1, third])

describe('POST /v1/models/{id}/infer', () => {
  it('returns the result ciphertext as application/octet-stream', async () => {
    const test = buildTestApp()
    const keyId = await uploadKeys(test)
    const response = await infer(test, 'beta', keyId, GOOD_CIPHERTEXT).buffer(true)
    expect(response.status).toBe(200)
    expect(response.headers['content-type']).toBe('application/octet-stream')
    expect([...new Uint8Array(response.body as Buffer)]).toEqual([...FAKE_RESULT])
    expect(test.executor.inferred).toBe(1)
  })

  it('answers 404 MODEL_NOT_FOUND for an unknown model', async () => {
    const test = buildTestApp()
    const keyId = await uploadKeys(test)
    expectProblem(await infer(test, 'nope', keyId, GOOD_CIPHERTEXT), 404, 'MODEL_NOT_FOUND')
  })

  it('answers 404 KEY_NOT_FOUND for an unknown key id', async () => {
    const test = buildTestApp()
    expectProblem(await infer(test, 'beta', 'B'.repeat(32), GOOD_CIPHERTEXT), 404, 'KEY_NOT_FOUND')
  })

  it('answers 410 KEY_EXPIRED after the TTL', async () => {
    const test = buildTestApp()
    const keyId = await uploadKeys(test)
    test.state.nowMs += 61_000
    expectProblem(await infer(test, 'beta', keyId, GOOD_CIPHERTEXT), 410, 'KEY_EXPIRED')
  })

  it('answers 422 KEYS_MODEL_MISMATCH for keys uploaded for another model', async () => {
    const test = buildTestApp()
    const keyId = await uploadKeys(test, 'beta')
    const response = await infer(test, 'alpha', keyId, GOOD_CIPHERTEXT)
    expectProblem(response, 422, 'KEYS_MODEL_MISMATCH')
    expect(response.body).toMatchObject({ keysModelId: 'beta', modelId: 'alpha' })
  })

  it('answers 400 FIELD_MISSING without keyId or without the input file', async () => {
    const test = buildTestApp()
    const keyId = await uploadKeys(test)
    const noKey = await request(test.app)
      .post('/v1/models/beta/infer')
      .attach('input', Buffer.from(GOOD_CIPHERTEXT), 'i')
    expectProblem(noKey, 400, 'FIELD_MISSING')
    expect(noKey.body.field).toBe('keyId')
    const noInput = await request(test.app).post('/v1/models/beta/infer').field('keyId', keyId)
    expectProblem(noInput, 400, 'FIELD_MISSING')
    expect(noInput.body.field).toBe('input')
  })

  it('answers 413 BODY_TOO_LARGE for an input larger than a ciphertext of these parameters', async () => {
    const test = buildTestApp()
    const keyId = await uploadKeys(test)
    const limit = uploadLimitsFor(fakeCard('beta')).ciphertextBytes
    expectProblem(
      await infer(test, 'beta', keyId, new Uint8Array(limit + 1)),
      413,
      'BODY_TOO_LARGE',
    )
  })

  it('answers 415 UNSUPPORTED_MEDIA_TYPE for a raw octet-stream body', async () => {
    const test = buildTestApp()
    const response = await request(test.app)
      .post('/v1/models/beta/infer')
      .set('Content-Type', 'application/octet-stream')
      .send(Buffer.from(GOOD_CIPHERTEXT))
    expectProblem(response, 415, 'UNSUPPORTED_MEDIA_TYPE')
  })

  it('answers 400 MULTIPART_MALFORMED for a truncated multipart body', async () => {
    const test = buildTestApp()
    const response = await request(test.app)
      .post('/v1/models/beta/infer')
      .set('Content-Type', 'multipart/form-data; boundary=B0und')
      .send('--B0und\r\nContent-Disposition: form-data; name="input"; filename="x"\r\n\r\nabc')
    expectProblem(response, 400, 'MULTIPART_MALFORMED')
  })

  it.each([
    ['bytes that are not a ciphertext', Uint8Array.from([1, 2, 3]), 400, 'CIPHERTEXT_MALFORMED'],
    ['a ciphertext at the wrong level', withMarker(1), 422, 'CIPHERTEXT_WRONG_LEVEL'],
    ['a ciphertext at the wrong scale', withMarker(2), 422, 'CIPHERTEXT_WRONG_SCALE'],
    ['a ciphertext under other parameters', withMarker(3), 422, 'CIPHERTEXT_WRONG_PARAMETERS'],
    ['a transparent ciphertext', withMarker(4), 422, 'CIPHERTEXT_TRANSPARENT'],
  ] as const)('rejects %s with %i %s', async (_name, input, status, code) => {
    const test = buildTestApp()
    const keyId = await uploadKeys(test)
    expectProblem(await infer(test, 'beta', keyId, input), status, code)
  })

  it('answers an unexpected failure with 500 INTERNAL and no details', async () => {
    const test = buildTestApp()
    const keyId = await uploadKeys(test)
    const response = await infer(test, 'beta', keyId, withMarker(0xff))
    expectProblem(response, 500, 'INTERNAL')
    expect(JSON.stringify(response.body)).not.toContain('secret detail')
  })
})
