import { describe, expect, it } from 'vitest'
import { ServiceApi, markPublic } from '../../client/service-api.ts'
import { isPrivinferError } from '../../core/errors.ts'
import type { EncryptedInput, EvaluationKeyBundle } from '../../core/he/index.ts'

interface Call {
  url: string
  method: string
  headers: Record<string, string>
  body: unknown
}

function fakeFetch(respond: (call: Call) => Response): { fetch: typeof fetch; calls: Call[] } {
  const calls: Call[] = []
  const fetchImpl = (async (url: string, init: RequestInit) => {
    const call = {
      url,
      method: init.method ?? 'GET',
      headers: init.headers as Record<string, string>,
      body: init.body,
    }
    calls.push(call)
    return respond(call)
  }) as unknown as typeof fetch
  return { fetch: fetchImpl, calls }
}

function fieldNames(form: FormData): string[] {
  const names: string[] = []
  form.forEach((_value, name) => names.push(name))
  return names.sort()
}

const json = (value: unknown, status = 200, type = 'application/json') =>
  new Response(JSON.stringify(value), { status, headers: { 'content-type': type } })

describe('ServiceApi', () => {
  it('uploads keys as multipart with the fixed field names and the bearer token', async () => {
    const { fetch, calls } = fakeFetch(() =>
      json({ keyId: 'k'.repeat(32), expiresAt: '2026-01-01T00:00:00Z', modelId: 'm' }, 201),
    )
    const api = new ServiceApi({ baseUrl: 'http://svc.test/', token: 't0ken', fetch })
    const bundle = {
      galoisKeys: Uint8Array.from([1, 2]),
      relinKeys: Uint8Array.from([3]),
    } as unknown as EvaluationKeyBundle
    const stored = await api.uploadKeys('m', bundle)
    expect(stored.keyId).toBe('k'.repeat(32))
    expect(calls[0].url).toBe('http://svc.test/v1/keys')
    expect(calls[0].method).toBe('POST')
    expect(calls[0].headers.Authorization).toBe('Bearer t0ken')
    const form = calls[0].body as FormData
    expect(form.get('modelId')).toBe('m')
    expect(new Uint8Array(await (form.get('galoisKeys') as Blob).arrayBuffer())).toEqual(
      Uint8Array.from([1, 2]),
    )
    expect(new Uint8Array(await (form.get('relinKeys') as Blob).arrayBuffer())).toEqual(
      Uint8Array.from([3]),
    )
    expect(fieldNames(form)).toEqual(['galoisKeys', 'modelId', 'relinKeys'])
  })

  it('posts the encrypted input and returns the result bytes', async () => {
    const { fetch, calls } = fakeFetch(
      () =>
        new Response(Uint8Array.from([9, 8, 7]), {
          status: 200,
          headers: { 'content-type': 'application/octet-stream' },
        }),
    )
    const api = new ServiceApi({ baseUrl: 'http://svc.test', fetch })
    const output = await api.infer('mnist dp', 'key', Uint8Array.from([5]) as EncryptedInput)
    expect(Array.from(output)).toEqual([9, 8, 7])
    expect(calls[0].url).toBe('http://svc.test/v1/models/mnist%20dp/infer')
    const form = calls[0].body as FormData
    expect(fieldNames(form)).toEqual(['input', 'keyId'])
  })

  it('turns problem+json answers into PrivinferErrors with the server code and details', async () => {
    const { fetch } = fakeFetch(() =>
      json(
        {
          type: '/v1/problems/KEY_EXPIRED',
          title: 'Keys expired',
          status: 410,
          detail: 'expired at X',
          code: 'KEY_EXPIRED',
          expiresAt: 'X',
        },
        410,
        'application/problem+json',
      ),
    )
    const api = new ServiceApi({ baseUrl: 'http://svc.test', fetch })
    try {
      await api.infer('m', 'k', new Uint8Array(1) as EncryptedInput)
      expect.unreachable()
    } catch (error) {
      expect(
        isPrivinferError(error) && {
          code: error.code,
          message: error.message,
          details: error.details,
        },
      ).toEqual({
        code: 'KEY_EXPIRED',
        message: 'expired at X',
        details: { expiresAt: 'X', status: 410 },
      })
    }
  })

  it('maps a non-JSON error page to a code by status', async () => {
    const { fetch } = fakeFetch(() => new Response('<html>bad gateway</html>', { status: 502 }))
    const api = new ServiceApi({ baseUrl: 'http://svc.test', fetch })
    await expect(api.listModels()).rejects.toMatchObject({ code: 'INTERNAL' })
  })
})

describe('ServiceApi types', () => {
  it('accept only branded evaluation keys, encrypted inputs and explicitly public plaintext', () => {
    // Never called: checked by tsc (npm run typecheck); if a brand were removed, the expected
    // errors below would disappear and the directives would fail to compile.
    const misuse = (
      api: ServiceApi,
      secretLooking: { secretKey: Uint8Array; galoisKeys: Uint8Array },
    ) => {
      // @ts-expect-error a plain object with key bytes is not an EvaluationKeyBundle
      void api.uploadKeys('m', secretLooking)
      // @ts-expect-error raw bytes are not an EncryptedInput
      void api.infer('m', 'k', new Uint8Array(8))
      // @ts-expect-error decrypted values are not PublicInput
      void api.inferPlain('m', new Float64Array(8))
      void api.inferPlain('m', markPublic([0, 1]))
    }
    expect(typeof misuse).toBe('function')
  })
})
