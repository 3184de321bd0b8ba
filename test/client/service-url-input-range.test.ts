/**
 * The client's typed errors for the service URL and the network (instead of fetch's bare TypeError),
 * and the card's input range.
 */
import { describe, expect, it } from 'vitest'
import { checkInputRange, looksLike8BitImage } from '../../client/input-range.ts'
import { ServiceApi } from '../../client/service-api.ts'
import { networkError, serviceBaseUrl } from '../../client/service-url.ts'
import { PrivinferError } from '../../core/errors.ts'

function thrown(work: () => unknown): PrivinferError {
  try {
    work()
  } catch (error) {
    expect(error).toBeInstanceOf(PrivinferError)
    return error as PrivinferError
  }
  throw new Error('expected a PrivinferError')
}

describe('serviceBaseUrl', () => {
  it('keeps the origin and path of an http(s) URL without its trailing slashes', () => {
    expect(serviceBaseUrl('http://localhost:8080/')).toBe('http://localhost:8080')
    expect(serviceBaseUrl(' https://example.org/privinfer// ')).toBe(
      'https://example.org/privinfer',
    )
  })

  it('resolves a relative URL against the page address (browsers)', () => {
    expect(serviceBaseUrl('/', 'http://127.0.0.1:8080/index.html')).toBe('http://127.0.0.1:8080')
  })

  it('rejects a trailing /v1 with URL_INVALID and the corrected URL', () => {
    const error = thrown(() => serviceBaseUrl('http://localhost:8080/v1/'))
    expect(error.code).toBe('URL_INVALID')
    expect(error.details.corrected).toBe('http://localhost:8080')
    expect(error.message).toContain('use http://localhost:8080')
  })

  it('rejects a host:port without scheme and suggests http://', () => {
    const error = thrown(() => serviceBaseUrl('localhost:8080'))
    expect(error.code).toBe('URL_INVALID')
    expect(error.message).toContain('did you mean http://localhost:8080?')
  })

  it('rejects text that is not a URL, and non-http schemes', () => {
    expect(thrown(() => serviceBaseUrl('not a url')).code).toBe('URL_INVALID')
    expect(thrown(() => serviceBaseUrl('ftp://host/')).code).toBe('URL_INVALID')
    expect(thrown(() => serviceBaseUrl('http://host/?x=1')).code).toBe('URL_INVALID')
  })

  it('is applied by ServiceApi before any request', () => {
    expect(thrown(() => new ServiceApi({ baseUrl: 'http://h:1/v1' })).code).toBe('URL_INVALID')
  })
})

describe('networkError', () => {
  it("turns fetch's TypeError into SERVICE_UNREACHABLE with the socket error's code", () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), {
      code: 'ECONNREFUSED',
    })
    const error = networkError(
      new TypeError('fetch failed', { cause }),
      'http://127.0.0.1:9',
    ) as PrivinferError
    expect(error.code).toBe('SERVICE_UNREACHABLE')
    expect(error.details.cause).toBe('ECONNREFUSED')
    expect(error.message).toBe(
      'cannot reach the service at http://127.0.0.1:9 (connection refused: is the service running on that port?)',
    )
  })

  it('leaves other errors (an abort) unchanged', () => {
    const abort = new DOMException('aborted', 'AbortError')
    expect(networkError(abort, 'http://h')).toBe(abort)
  })

  it('ServiceApi reports a closed port as SERVICE_UNREACHABLE', async () => {
    const api = new ServiceApi({
      baseUrl: 'http://127.0.0.1:9',
      fetch: () =>
        Promise.reject(new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } })),
    })
    await expect(api.listModels()).rejects.toMatchObject({ code: 'SERVICE_UNREACHABLE' })
  })

  it('ServiceApi reports a non-JSON answer as URL_INVALID (not a privinfer service)', async () => {
    const api = new ServiceApi({
      baseUrl: 'http://web.test',
      fetch: async () =>
        new Response('<html></html>', { headers: { 'content-type': 'text/html' } }),
    })
    await expect(api.listModels()).rejects.toMatchObject({ code: 'URL_INVALID' })
  })
})

describe('checkInputRange', () => {
  const unit = { range: { min: 0, max: 1 } }

  it('accepts values inside the range, and anything when the card declares none', () => {
    expect(() => checkInputRange(unit, [0, 0.5, 1])).not.toThrow()
    expect(() => checkInputRange({}, [-5, 300])).not.toThrow()
  })

  it('rejects a value outside with INPUT_INVALID, its index and value', () => {
    const error = thrown(() => checkInputRange(unit, [0, 1.5, 0.2]))
    expect(error.code).toBe('INPUT_INVALID')
    expect(error.details).toMatchObject({ index: 1, value: 1.5, min: 0, max: 1 })
    expect(error.message).not.toContain('255')
  })

  it('names 0-255 pixels given to a [0, 1] model', () => {
    const pixels = [0, 12, 255, 128]
    expect(looksLike8BitImage(pixels)).toBe(true)
    expect(thrown(() => checkInputRange(unit, pixels)).message).toContain(
      'these look like 0-255 pixels; divide them by 255',
    )
    expect(looksLike8BitImage([0, 0.5, 1])).toBe(false)
    expect(looksLike8BitImage([0, 256])).toBe(false)
  })
})
