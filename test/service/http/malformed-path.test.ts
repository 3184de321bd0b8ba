import { describe, it } from 'vitest'
import request from 'supertest'
import { buildTestApp } from './fakes.ts'
import { expectProblem } from './expect-problem.ts'

describe('a malformed percent-encoding in a path parameter', () => {
  it.each([
    ['GET', '/v1/models/%ff'],
    ['POST', '/v1/models/%ff/infer'],
    ['POST', '/v1/models/%E0%A4%A/plain'],
    ['DELETE', '/v1/keys/%ff'],
  ] as const)('%s %s answers 400 BAD_REQUEST, not 500', async (method, path) => {
    const { app } = buildTestApp()
    const agent = request(app)
    const response =
      method === 'GET'
        ? await agent.get(path)
        : method === 'POST'
          ? await agent.post(path)
          : await agent.delete(path)
    expectProblem(response, 400, 'BAD_REQUEST')
  })
})
