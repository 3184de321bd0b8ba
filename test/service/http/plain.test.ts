import { describe, expect, it } from 'vitest'
import request from 'supertest'
import { buildTestApp } from './fakes.ts'
import { expectProblem } from './expect-problem.ts'

const plain = {
  async run(_modelId: string, input: Float64Array): Promise<Float64Array> {
    return Float64Array.from(input, (value) => value * 2)
  },
}

describe('POST /v1/models/{id}/plain', () => {
  it('answers 403 PLAIN_DISABLED unless enabled', async () => {
    const { app } = buildTestApp({ plain })
    expectProblem(
      await request(app)
        .post('/v1/models/alpha/plain')
        .send({ input: [1, 2, 3, 4] }),
      403,
      'PLAIN_DISABLED',
    )
  })

  it('runs onnxruntime when enabled and returns output and label', async () => {
    const { app } = buildTestApp({ plain, enablePlain: true })
    const response = await request(app)
      .post('/v1/models/alpha/plain')
      .send({ input: [1, 5, 3, 4] })
    expect(response.status).toBe(200)
    expect(response.body).toEqual({ output: [2, 10, 6, 8], label: 1 })
  })

  it('answers 422 INPUT_INVALID for the wrong length or non-numbers, 400 FIELD_MISSING without input', async () => {
    const { app } = buildTestApp({ plain, enablePlain: true })
    expectProblem(
      await request(app)
        .post('/v1/models/alpha/plain')
        .send({ input: [1, 2] }),
      422,
      'INPUT_INVALID',
    )
    expectProblem(
      await request(app)
        .post('/v1/models/alpha/plain')
        .send({ input: [1, 2, 'x', 4] }),
      422,
      'INPUT_INVALID',
    )
    expectProblem(await request(app).post('/v1/models/alpha/plain').send({}), 400, 'FIELD_MISSING')
  })

  it('answers 400 BAD_REQUEST for broken JSON and 415 for another content type', async () => {
    const { app } = buildTestApp({ plain, enablePlain: true })
    const broken = await request(app)
      .post('/v1/models/alpha/plain')
      .set('Content-Type', 'application/json')
      .send('{"input": [1,')
    expectProblem(broken, 400, 'BAD_REQUEST')
    const text = await request(app)
      .post('/v1/models/alpha/plain')
      .set('Content-Type', 'text/plain')
      .send('1,2,3,4')
    expectProblem(text, 415, 'UNSUPPORTED_MEDIA_TYPE')
  })

  it('answers 413 BODY_TOO_LARGE for a huge JSON body and 404 for an unknown model', async () => {
    const { app } = buildTestApp({ plain, enablePlain: true })
    const huge = JSON.stringify({ input: new Array(700_000).fill(1) })
    expectProblem(
      await request(app)
        .post('/v1/models/alpha/plain')
        .set('Content-Type', 'application/json')
        .send(huge),
      413,
      'BODY_TOO_LARGE',
    )
    expectProblem(
      await request(app)
        .post('/v1/models/nope/plain')
        .send({ input: [1] }),
      404,
      'MODEL_NOT_FOUND',
    )
  })
})
