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
      authToken: undefined,
      corsOrigins: [],
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
})
