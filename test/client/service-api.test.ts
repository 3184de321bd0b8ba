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
    const api = new ServiceApi({ baseUrl: 'http://svc.test', fetch, retry: { attempts: 1 } })
    await expect(api.listModels()).rejects.toMatchObject({ code: 'INTERNAL' })
  })
})

describe('ServiceApi retries', () => {
  const problem = (code: string, status: number, retryAfter?: string) =>
    new Response(JSON.stringify({ code, detail: code, status }), {
      status,
      headers: {
        'content-type': 'application/problem+json',
        ...(retryAfter ? { 'retry-after': retryAfter } : {}),
      },
    })
  const refused = () =>
    Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } })
  const reset = () =>
    Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } })
  const input = new Uint8Array([1]) as unknown as EncryptedInput
  const bundle = { galoisKeys: new Uint8Array([1]) } as unknown as EvaluationKeyBundle
  const fast = { initialDelayMs: 1, maxDelayMs: 5 }

  it('sends a query that lost its replica to the next replica, and stays there', async () => {
    const calls: string[] = []
    const fetchImpl = (async (url: string) => {
      calls.push(url)
      if (url.startsWith('http://a.test')) throw reset()
      return new Response(new Uint8Array([7]), { status: 200 })
    }) as unknown as typeof fetch
    const api = new ServiceApi({
      baseUrl: 'http://a.test',
      replicaUrls: ['http://b.test'],
      fetch: fetchImpl,
      retry: fast,
    })
    expect([...(await api.infer('m', 'k', input))]).toEqual([7])
    await api.infer('m', 'k', input)
    expect(calls).toEqual([
      'http://a.test/v1/models/m/infer',
      'http://b.test/v1/models/m/infer',
      'http://b.test/v1/models/m/infer',
    ])
  })

  it('retries 503 KEY_STORE_UNAVAILABLE and a proxy 502, honouring a capped Retry-After', async () => {
    const answers = [
      problem('KEY_STORE_UNAVAILABLE', 503, '1'),
      new Response('bad gateway', { status: 502 }),
    ]
    const fetchImpl = (async () =>
      answers.shift() ?? new Response(new Uint8Array([1]))) as unknown as typeof fetch
    const api = new ServiceApi({ baseUrl: 'http://lb.test', fetch: fetchImpl, retry: fast })
    const started = performance.now()
    await api.infer('m', 'k', input)
    expect(answers).toEqual([])
    // Retry-After: 1 is capped at maxDelayMs.
    expect(performance.now() - started).toBeLessThan(500)
  })

  it('never retries a 4xx, and gives up after the configured attempts', async () => {
    let count = 0
    const fetchImpl = (async () => {
      count++
      return problem(count === 1 ? 'KEY_NOT_FOUND' : 'OVERLOADED', count === 1 ? 404 : 503)
    }) as unknown as typeof fetch
    const api = new ServiceApi({
      baseUrl: 'http://s.test',
      fetch: fetchImpl,
      retry: { ...fast, attempts: 3 },
    })
    await expect(api.infer('m', 'k', input)).rejects.toMatchObject({ code: 'KEY_NOT_FOUND' })
    expect(count).toBe(1)
    await expect(api.infer('m', 'k', input)).rejects.toMatchObject({ code: 'OVERLOADED' })
    expect(count).toBe(4)
  })

  it('resends an upload only when nothing can have been stored', async () => {
    let count = 0
    const stored = () =>
      new Response(JSON.stringify({ keyId: 'k', expiresAt: 'x', modelId: 'm' }), { status: 201 })
    const refusedOnce = (async () =>
      ++count === 1 ? Promise.reject(refused()) : stored()) as unknown as typeof fetch
    await new ServiceApi({ baseUrl: 'http://s.test', fetch: refusedOnce, retry: fast }).uploadKeys(
      'm',
      bundle,
    )
    expect(count).toBe(2)
    count = 0
    const resetOnce = (async () =>
      ++count === 1 ? Promise.reject(reset()) : stored()) as unknown as typeof fetch
    await expect(
      new ServiceApi({ baseUrl: 'http://s.test', fetch: resetOnce, retry: fast }).uploadKeys(
        'm',
        bundle,
      ),
    ).rejects.toMatchObject({ code: 'SERVICE_UNREACHABLE', details: { cause: 'ECONNRESET' } })
    expect(count).toBe(1)
    count = 0
    const storeDown = (async () =>
      ++count === 1 ? problem('KEY_STORE_UNAVAILABLE', 503) : stored()) as unknown as typeof fetch
    await expect(
      new ServiceApi({ baseUrl: 'http://s.test', fetch: storeDown, retry: fast }).uploadKeys(
        'm',
        bundle,
      ),
    ).rejects.toMatchObject({ code: 'KEY_STORE_UNAVAILABLE' })
    expect(count).toBe(1)
  })

  it('counts a retried delete that finds the keys gone as done', async () => {
    let count = 0
    const fetchImpl = (async () =>
      ++count === 1
        ? Promise.reject(reset())
        : problem('KEY_NOT_FOUND', 404)) as unknown as typeof fetch
    await new ServiceApi({ baseUrl: 'http://s.test', fetch: fetchImpl, retry: fast }).deleteKeys(
      'k',
    )
    expect(count).toBe(2)
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
