import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../service/config.ts'
import { isPrivinferError } from '../../core/errors.ts'

describe('loadConfig', () => {
  it('applies the defaults and returns a frozen object', () => {
    const config = loadConfig({})
    expect(config).toMatchObject({
      port: 8080,
      modelsDir: 'models',
      keysDir: 'keys',
      enablePlain: false,
      authTokens: [],
      corsOrigins: [],
      // Safe by default: reachable from this machine only.
      host: '127.0.0.1',
      allowUnauthenticated: false,
      keyQuotaSets: 10,
      keyQuotaBytes: 128 * 2 ** 20,
      keyStoreMaxBytes: 4 * 2 ** 30,
      keyRateLimitMax: 300,
    })
    expect(config.workers).toBeGreaterThanOrEqual(1)
    expect(Object.isFrozen(config)).toBe(true)
    expect(Object.isFrozen(config.corsOrigins)).toBe(true)
  })

  it('parses every variable', () => {
    const config = loadConfig({
      PORT: '9000',
      HOST: '127.0.0.1',
      MODELS_DIR: '/m',
      KEYS_DIR: '/k',
      KEY_TTL_SECONDS: '60',
      WORKERS: '3',
      CORS_ORIGINS: 'https://a.example, http://localhost:5173',
      RATE_LIMIT_MAX: '0',
      AUTH_TOKEN: 'x'.repeat(16),
      ENABLE_PLAIN: 'true',
      LOG_LEVEL: 'warn',
      MAX_QUEUE: '5',
      DEFAULT_MODEL: 'mnist-dp',
    })
    expect(config).toMatchObject({
      port: 9000,
      host: '127.0.0.1',
      modelsDir: '/m',
      keysDir: '/k',
      keyTtlSeconds: 60,
      workers: 3,
      corsOrigins: ['https://a.example', 'http://localhost:5173'],
      rateLimitMax: 0,
      enablePlain: true,
      logLevel: 'warn',
      maxQueue: 5,
      defaultModel: 'mnist-dp',
    })
  })

  it('reports every problem at once with CONFIG_INVALID', () => {
    try {
      loadConfig({
        PORT: 'http',
        WORKERS: '0',
        ENABLE_PLAIN: 'maybe',
        LOG_LEVEL: 'loud',
        AUTH_TOKEN: 'short',
        CORS_ORIGINS: 'evil',
      })
      expect.unreachable()
    } catch (error) {
      expect(isPrivinferError(error) && error.code).toBe('CONFIG_INVALID')
      const problems = (error as { details: { problems: string[] } }).details.problems
      expect(problems).toHaveLength(6)
      for (const name of [
        'PORT',
        'WORKERS',
        'ENABLE_PLAIN',
        'LOG_LEVEL',
        'AUTH_TOKEN',
        'CORS_ORIGINS',
      ]) {
        expect(problems.some((problem) => problem.includes(name))).toBe(true)
      }
    }
  })

  it('reads KEY_STORE: file by default, a redis:// URL for a shared store, and rejects others', () => {
    expect(loadConfig({}).keyStoreUrl).toBeUndefined()
    expect(loadConfig({ KEY_STORE: 'file' }).keyStoreUrl).toBeUndefined()
    expect(loadConfig({ KEY_STORE: 'redis://cache:6379/2' }).keyStoreUrl).toBe(
      'redis://cache:6379/2',
    )
    for (const bad of ['postgres://db/1', 'redis://cache:6379/99', 'not a url']) {
      try {
        loadConfig({ KEY_STORE: bad })
        expect.unreachable()
      } catch (error) {
        expect(isPrivinferError(error) && error.code).toBe('CONFIG_INVALID')
        expect(String((error as Error).message)).toContain('KEY_STORE')
      }
    }
  })

  it('never shows the Redis password in the logged key store name', async () => {
    const { redactedKeyStore } = await import('../../service/config.ts')
    const config = loadConfig({ KEY_STORE: 'redis://:s3cret-pass@cache:6379/0' })
    expect(redactedKeyStore(config)).not.toContain('s3cret')
    expect(redactedKeyStore(config)).toContain('cache:6379')
  })

  it('refuses a non-loopback HOST without AUTH_TOKEN, with the reason and the ways out', () => {
    for (const host of ['0.0.0.0', '::', '192.0.2.10', 'privinfer.example']) {
      try {
        loadConfig({ HOST: host })
        expect.unreachable()
      } catch (error) {
        expect(isPrivinferError(error) && error.code).toBe('CONFIG_INVALID')
        const message = (error as Error).message
        expect(message).toContain(`HOST=${host}`)
        expect(message).toContain('AUTH_TOKEN')
        expect(message).toContain('ALLOW_UNAUTHENTICATED=1')
      }
    }
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]'])
      expect(loadConfig({ HOST: host }).host).toBe(host)
    expect(loadConfig({ HOST: '0.0.0.0', AUTH_TOKEN: 't'.repeat(16) }).authTokens).toHaveLength(1)
    expect(loadConfig({ HOST: '0.0.0.0', ALLOW_UNAUTHENTICATED: '1' }).allowUnauthenticated).toBe(
      true,
    )
  })

  it('accepts several comma-separated tokens, each a client of its own, each >= 16 characters', () => {
    const config = loadConfig({ AUTH_TOKEN: `${'a'.repeat(16)}, ${'b'.repeat(20)}` })
    expect(config.authTokens).toEqual(['a'.repeat(16), 'b'.repeat(20)])
    expect(() => loadConfig({ AUTH_TOKEN: `${'a'.repeat(16)},short` })).toThrow('AUTH_TOKEN')
  })

  it('states the access mode for the start-up log', async () => {
    const { accessModeOf } = await import('../../service/config.ts')
    expect(accessModeOf(loadConfig({}))).toContain('loopback only, unauthenticated')
    expect(accessModeOf(loadConfig({ HOST: '0.0.0.0', AUTH_TOKEN: 'x'.repeat(16) }))).toContain(
      'bearer-token authentication',
    )
    expect(accessModeOf(loadConfig({ HOST: '0.0.0.0', ALLOW_UNAUTHENTICATED: 'true' }))).toContain(
      'UNAUTHENTICATED',
    )
  })
})
