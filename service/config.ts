/**
 * Service configuration, read from the environment in this one place (nothing else reads process.env).
 *
 * `loadConfig(env)` parses every variable once, collects every problem, and throws one
 * `PrivinferError('CONFIG_INVALID')` listing them all; on success it returns a deeply frozen object.
 */
import { availableParallelism } from 'node:os'
import { PrivinferError } from '../core/errors.ts'

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

export interface Config {
  /** TCP port to listen on (PORT, default 8080; 0 picks a free port). */
  readonly port: number
  /**
   * Interface to bind (HOST, default 127.0.0.1: reachable from this machine only). A non-loopback
   * address needs AUTH_TOKEN, or ALLOW_UNAUTHENTICATED=1 to run open on purpose.
   */
  readonly host: string
  /** ALLOW_UNAUTHENTICATED=1: serve a non-loopback HOST without a token (default false). */
  readonly allowUnauthenticated: boolean
  /** Folder holding one sub-folder per model (MODELS_DIR, default models). */
  readonly modelsDir: string
  /** Model served when a client names none (DEFAULT_MODEL, default: mnist-dp if present, else the first one). */
  readonly defaultModel: string | undefined
  /** Folder of the filesystem key store (KEYS_DIR, default keys). */
  readonly keysDir: string
  /**
   * Where evaluation keys live (KEY_STORE): undefined or `file` for the filesystem store in keysDir
   * (one machine, one process); `redis://[user:password@]host:port/db` (or rediss://) for a Redis
   * instance shared by replicas.
   */
  readonly keyStoreUrl: string | undefined
  /** Lifetime of an uploaded key set in seconds (KEY_TTL_SECONDS, default 3600). */
  readonly keyTtlSeconds: number
  /** Worker threads running HE work (WORKERS, default: number of cores). */
  readonly workers: number
  /**
   * Bytes of loaded key sets each worker keeps (KEY_CACHE_BYTES, default 128 MiB, LRU): about 6
   * mnist-dp key sets. The service's RSS grows with WORKERS x this bound (docs/load.md).
   */
  readonly keyCacheBytes: number
  /** Tasks waiting for a worker before requests get 503 OVERLOADED (MAX_QUEUE, default 256). */
  readonly maxQueue: number
  /** Allowed CORS origins (CORS_ORIGINS, comma separated; `*` for any; empty: CORS off). */
  readonly corsOrigins: readonly string[]
  /** Rate-limit window in milliseconds (RATE_LIMIT_WINDOW_MS, default 60000). */
  readonly rateLimitWindowMs: number
  /** Requests per client and window (RATE_LIMIT_MAX, default 600; 0 disables). */
  readonly rateLimitMax: number
  /**
   * Bearer tokens, any of which is accepted on every /v1 route except health and openapi
   * (AUTH_TOKEN, comma separated, each >= 16 characters; empty: no authentication). Each token is a
   * client of its own for quotas and rate limits.
   */
  readonly authTokens: readonly string[]
  /** Live key sets one client may hold (KEY_QUOTA_SETS, default 10; 0: unlimited). */
  readonly keyQuotaSets: number
  /** Stored key bytes one client may hold (KEY_QUOTA_BYTES, default 128 MiB; 0: unlimited). */
  readonly keyQuotaBytes: number
  /** Stored key bytes in the whole key store (KEY_STORE_MAX_BYTES, default 4 GiB; 0: unlimited). */
  readonly keyStoreMaxBytes: number
  /** Queries per key id and rate-limit window (KEY_RATE_LIMIT_MAX, default 300; 0 disables). */
  readonly keyRateLimitMax: number
  /** Enables POST /v1/models/{id}/plain (ENABLE_PLAIN=true; default false). */
  readonly enablePlain: boolean
  /**
   * Also serve models without a DP guarantee of epsilon <= 3 at delta <= 1e-5, e.g. the non-private
   * benchmark model mnist-mlp (SERVE_NON_PRIVATE_MODELS=true; default false; logged as a warning).
   */
  readonly serveNonPrivateModels: boolean
  /** pino log level (LOG_LEVEL, default info). */
  readonly logLevel: LogLevel
  /** Trust X-Forwarded-For from this many proxies, for rate limiting (TRUST_PROXY, default 0). */
  readonly trustProxyHops: number
  /** Grace period for draining on SIGTERM, milliseconds (SHUTDOWN_TIMEOUT_MS, default 30000). */
  readonly shutdownTimeoutMs: number
}

const LOG_LEVELS: readonly LogLevel[] = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
]

/**
 * Parses the environment. Throws one error listing every invalid variable.
 * @example loadConfig({ PORT: '9000', ENABLE_PLAIN: 'true' }).port === 9000
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const problems: string[] = []
  const text = (name: string): string | undefined => {
    const raw = env[name]
    return raw === undefined || raw.trim() === '' ? undefined : raw.trim()
  }
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = text(name)
    if (raw === undefined) return fallback
    const value = Number(raw)
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be an integer in [${min}, ${max}], got '${raw}'`)
      return fallback
    }
    return value
  }
  const boolean = (name: string, fallback: boolean): boolean => {
    const raw = text(name)?.toLowerCase()
    if (raw === undefined) return fallback
    if (['1', 'true', 'yes', 'on'].includes(raw)) return true
    if (['0', 'false', 'no', 'off'].includes(raw)) return false
    problems.push(`${name} must be true or false, got '${raw}'`)
    return fallback
  }

  const logLevelRaw = text('LOG_LEVEL') ?? 'info'
  if (!LOG_LEVELS.includes(logLevelRaw as LogLevel)) {
    problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got '${logLevelRaw}'`)
  }
  const authTokens = (text('AUTH_TOKEN') ?? '')
    .split(',')
    .map((token) => token.trim())
    .filter((token) => token.length > 0)
  if (authTokens.some((token) => token.length < 16)) {
    problems.push('AUTH_TOKEN must be at least 16 characters long (each, when comma separated)')
  }
  const host = text('HOST') ?? '127.0.0.1'
  const allowUnauthenticated = boolean('ALLOW_UNAUTHENTICATED', false)
  if (!isLoopbackHost(host) && authTokens.length === 0 && !allowUnauthenticated) {
    problems.push(
      `HOST=${host} accepts connections from other machines, but AUTH_TOKEN is not set: anyone ` +
        'who reaches this port could upload keys and run queries. Set AUTH_TOKEN (at least 16 ' +
        'characters), bind HOST=127.0.0.1, or set ALLOW_UNAUTHENTICATED=1 to serve openly on purpose',
    )
  }
  const corsOrigins = (text('CORS_ORIGINS') ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin.length > 0)
  for (const origin of corsOrigins) {
    if (origin !== '*' && !/^https?:\/\/[^/\s]+$/.test(origin)) {
      problems.push(
        `CORS_ORIGINS entry '${origin}' must be '*' or an origin like https://example.org`,
      )
    }
  }
  const keyStoreRaw = text('KEY_STORE')
  let keyStoreUrl: string | undefined
  if (keyStoreRaw !== undefined && keyStoreRaw !== 'file') {
    keyStoreUrl = keyStoreRaw
    const problem = redisUrlProblem(keyStoreRaw)
    if (problem) problems.push(`KEY_STORE ${problem}`)
  }
  const defaultModel = text('DEFAULT_MODEL')
  if (defaultModel !== undefined && !/^[a-z0-9][a-z0-9._-]{0,63}$/i.test(defaultModel)) {
    problems.push(`DEFAULT_MODEL '${defaultModel}' is not a model id`)
  }

  const config: Config = {
    port: integer('PORT', 8080, 0, 65535),
    host,
    allowUnauthenticated,
    modelsDir: text('MODELS_DIR') ?? 'models',
    defaultModel,
    keysDir: text('KEYS_DIR') ?? 'keys',
    keyStoreUrl,
    keyTtlSeconds: integer('KEY_TTL_SECONDS', 3600, 1, 30 * 24 * 3600),
    workers: integer('WORKERS', Math.max(1, availableParallelism()), 1, 256),
    keyCacheBytes: integer('KEY_CACHE_BYTES', 128 * 2 ** 20, 0, 2 ** 40),
    maxQueue: integer('MAX_QUEUE', 256, 0, 1_000_000),
    corsOrigins: Object.freeze(corsOrigins),
    rateLimitWindowMs: integer('RATE_LIMIT_WINDOW_MS', 60_000, 1000, 24 * 3600 * 1000),
    rateLimitMax: integer('RATE_LIMIT_MAX', 600, 0, 10_000_000),
    authTokens: Object.freeze(authTokens),
    keyQuotaSets: integer('KEY_QUOTA_SETS', 10, 0, 1_000_000),
    keyQuotaBytes: integer('KEY_QUOTA_BYTES', 128 * 2 ** 20, 0, 2 ** 50),
    keyStoreMaxBytes: integer('KEY_STORE_MAX_BYTES', 4 * 2 ** 30, 0, 2 ** 50),
    keyRateLimitMax: integer('KEY_RATE_LIMIT_MAX', 300, 0, 10_000_000),
    enablePlain: boolean('ENABLE_PLAIN', false),
    serveNonPrivateModels: boolean('SERVE_NON_PRIVATE_MODELS', false),
    logLevel: logLevelRaw as LogLevel,
    trustProxyHops: integer('TRUST_PROXY', 0, 0, 10),
    shutdownTimeoutMs: integer('SHUTDOWN_TIMEOUT_MS', 30_000, 0, 600_000),
  }
  if (problems.length > 0) {
    throw new PrivinferError(
      'CONFIG_INVALID',
      `invalid configuration:\n  ${problems.join('\n  ')}`,
      {
        problems,
      },
    )
  }
  return Object.freeze(config)
}

/** Why `raw` is not a usable Redis URL (the password is never echoed), or undefined. */
function redisUrlProblem(raw: string): string | undefined {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return "must be 'file' or a URL like redis://host:6379/0"
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    return `must be 'file' or a redis:// or rediss:// URL, got the scheme '${url.protocol}'`
  if (url.hostname === '') return 'names no host'
  const db = url.pathname.replace(/^\//, '')
  if (db !== '' && !/^(\d|1[0-5])$/.test(db)) return `names the database '${db}': use 0 to 15`
  return undefined
}

/** The key store URL without its password, for logs. */
export function redactedKeyStore(config: Pick<Config, 'keyStoreUrl' | 'keysDir'>): string {
  if (config.keyStoreUrl === undefined) return `file:${config.keysDir}`
  const url = new URL(config.keyStoreUrl)
  if (url.password) url.password = '***'
  return url.toString()
}

/** True for addresses only this machine can reach: 127.0.0.0/8, ::1, localhost. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase()
  return (
    bare === 'localhost' ||
    bare === '::1' ||
    /^127(\.\d{1,3}){3}$/.test(bare) ||
    /^::ffff:127(\.\d{1,3}){3}$/.test(bare)
  )
}

/** One line for the start-up log: who can reach the service, and whether it asks for a token. */
export function accessModeOf(config: Pick<Config, 'host' | 'authTokens'>): string {
  const reach = isLoopbackHost(config.host) ? 'loopback only' : `network (${config.host})`
  if (config.authTokens.length > 0)
    return `${reach}, bearer-token authentication (${config.authTokens.length} token${config.authTokens.length > 1 ? 's' : ''})`
  return isLoopbackHost(config.host)
    ? `${reach}, unauthenticated (AUTH_TOKEN not set)`
    : `${reach}, UNAUTHENTICATED (ALLOW_UNAUTHENTICATED=1): anyone reaching this port may upload keys and query`
}
