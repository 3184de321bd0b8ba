import { expect } from 'vitest'
import type { Response } from 'supertest'

/** Asserts a problem+json answer with this status and code. */
export function expectProblem(response: Response, status: number, code: string): void {
  expect({ status: response.status, code: response.body?.code }).toEqual({ status, code })
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
  expect(response.body).toMatchObject({ status, code, type: `/v1/problems/${code}` })
  expect(typeof response.body.title).toBe('string')
}
