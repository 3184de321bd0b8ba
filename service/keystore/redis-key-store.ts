/**
 * A KeyStore on Redis (KEY_STORE=redis://host:port/db), shared by any number of stateless replicas.
 *
 *   privinfer:data:<digest>   hash {galois, relin, public}: the uploaded bytes (binary), PX = the key TTL
 *   privinfer:rec:<digest>    the KeyRecord without the key id (JSON), PX = TTL + 24 h
 *   privinfer:owner:<owner>   sorted set of "<digest>:<bytes>" by expiry (ms): the owner's quota
 *   privinfer:all             the same over every owner: the store's total
 *
 * `<digest>` is SHA-256 of the key id (key-id.ts): the id itself is never written to Redis, so a
 * SCAN or a dump of the instance yields no usable capability. Expiry is Redis's own (PX on the data
 * key): an expired key set is gone from every replica at the same instant. The record outlives the
 * data by a day only so that the first query after expiry answers KEY_EXPIRED (then KEY_NOT_FOUND),
 * as the file store does. Deletes remove both keys at once; the next query on any replica is refused,
 * because the HTTP edge reads the record before every inference (service/http/routes/infer.ts).
 *
 * The quota check and the write are one Lua script (atomic in Redis), so replicas cannot race past
 * a limit; expired members are dropped from the sorted sets by score, lazily, in the same script.
 * Key names are built inside the scripts, so this store needs a standalone Redis (or a primary with
 * replicas), not Redis Cluster.
 *
 * Failures are fast: commands are not queued while disconnected (enableOfflineQueue: false), each
 * command has a timeout, and the client reconnects in the background. Any of these is
 * KEY_STORE_UNAVAILABLE (503, Retry-After), never a hanging request.
 */
import { Redis } from 'ioredis'
import type { Logger } from 'pino'
import { PrivinferError } from '../../core/errors.ts'
import type {
  EvaluationKeyBytes,
  KeyRecord,
  KeyStore,
  KeyUsage,
  PutOptions,
  StoredKeys,
} from './key-store.ts'
import { isKeyId, keyIdDigest } from './key-id.ts'
import { keyExpired, keyNotFound, newKeyRecord, storedBytesOf } from './expiry.ts'
import { ANONYMOUS_OWNER, type KeyQuota, quotaError, UNLIMITED_QUOTA } from './quota.ts'

export interface RedisKeyStoreOptions {
  /** redis://[user:password@]host:port/db or rediss://... */
  url: string
  /** Lifetime of a key set, seconds. */
  ttlSeconds: number
  quota?: KeyQuota
  /** Prefix of every Redis key (default "privinfer:"). */
  prefix?: string
  /** Connection state changes are logged here (never keys or ids). */
  logger?: Logger
  /** Per-command timeout, milliseconds (default 5000). */
  commandTimeoutMs?: number
}

/** How long the record of an expired key set is kept to answer KEY_EXPIRED once, milliseconds. */
const EXPIRED_RECORD_MS = 24 * 3600 * 1000

type StoredRecord = Omit<KeyRecord, 'keyId'>

// Milliseconds from Redis's own clock, so that replicas with skewed clocks agree on expiry.
const NOW_MS = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`

const SUM_MEMBERS = `local function usage(key)
  local sets, bytes = 0, 0
  for _, member in ipairs(redis.call('ZRANGE', key, 0, -1)) do
    sets = sets + 1
    bytes = bytes + tonumber(string.match(member, ':(%d+)$'))
  end
  return sets, bytes
end`

/**
 * KEYS: rec, data, owner set, all set. ARGV: record JSON, galois bytes, relin bytes ('' if none),
 * ttl ms, stored bytes, max sets per owner, max bytes per owner, max total bytes, digest,
 * public key bytes ('' if none).
 * Returns {0} stored, {1, sets} too many sets, {2, bytes} too many owner bytes, {3} store full.
 */
const PUT_SCRIPT = `${NOW_MS}
${SUM_MEMBERS}
local ttl = tonumber(ARGV[4])
local bytes = tonumber(ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now)
local sets, ownerBytes = usage(KEYS[3])
if tonumber(ARGV[6]) > 0 and sets + 1 > tonumber(ARGV[6]) then return {1, sets} end
if tonumber(ARGV[7]) > 0 and ownerBytes + bytes > tonumber(ARGV[7]) then return {2, ownerBytes} end
if tonumber(ARGV[8]) > 0 then
  local _, totalBytes = usage(KEYS[4])
  if totalBytes + bytes > tonumber(ARGV[8]) then return {3} end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl + ${EXPIRED_RECORD_MS})
redis.call('HSET', KEYS[2], 'galois', ARGV[2])
if ARGV[3] ~= '' then redis.call('HSET', KEYS[2], 'relin', ARGV[3]) end
if ARGV[10] ~= '' then redis.call('HSET', KEYS[2], 'public', ARGV[10]) end
redis.call('PEXPIRE', KEYS[2], ttl)
local member = ARGV[9] .. ':' .. ARGV[5]
redis.call('ZADD', KEYS[3], now + ttl, member)
redis.call('PEXPIRE', KEYS[3], ttl)
redis.call('ZADD', KEYS[4], now + ttl, member)
return {0}`

/** KEYS: rec, data, all set. ARGV: prefix, digest. Returns 1 when something was deleted. */
const DELETE_SCRIPT = `local rec = redis.call('GET', KEYS[1])
if not rec then return 0 end
local record = cjson.decode(rec)
local member = ARGV[2] .. ':' .. tostring(record.galoisKeyBytes + record.relinKeyBytes + (record.publicKeyBytes or 0))
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('ZREM', ARGV[1] .. 'owner:' .. record.owner, member)
redis.call('ZREM', KEYS[3], member)
return 1`

/** KEYS: owner set. Returns {sets, bytes} of live members. */
const USAGE_SCRIPT = `${NOW_MS}
${SUM_MEMBERS}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local sets, bytes = usage(KEYS[1])
return {sets, bytes}`

/** KEYS: all set. Returns how many expired members were dropped. */
const SWEEP_SCRIPT = `${NOW_MS}
return redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)`

/**
 * KEYS: counter. ARGV: window ms. A fixed window opened by the first hit. Returns {count, ms left}.
 */
const WINDOW_SCRIPT = `local count = redis.call('INCR', KEYS[1])
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  left = tonumber(ARGV[1])
end
return {count, left}`

interface ScriptCommands {
  privinferWindow(key: string, windowMs: string): Promise<number[]>
  privinferPut(...args: Array<string | Buffer | number>): Promise<number[]>
  privinferDelete(...args: string[]): Promise<number>
  privinferUsage(key: string): Promise<number[]>
  privinferSweep(key: string): Promise<number>
}

/** Redis error replies that mean "not available now" rather than a bug. */
const UNAVAILABLE_REPLIES = /^(LOADING|BUSY|MASTERDOWN|READONLY|TRYAGAIN|CLUSTERDOWN|NOREPLICAS)\b/

export class RedisKeyStore implements KeyStore {
  readonly #redis: Redis & ScriptCommands
  readonly #ttlMs: number
  readonly #quota: KeyQuota
  readonly #prefix: string
  readonly #logger: Logger | undefined
  /** True between a connection error and the next successful connection (logs once per outage). */
  #outage = false
  #closing = false

  constructor(options: RedisKeyStoreOptions) {
    this.#ttlMs = options.ttlSeconds * 1000
    this.#quota = options.quota ?? UNLIMITED_QUOTA
    this.#prefix = options.prefix ?? 'privinfer:'
    this.#logger = options.logger
    const redis = new Redis(options.url, {
      lazyConnect: true,
      // While disconnected, fail at once (KEY_STORE_UNAVAILABLE) instead of queueing requests.
      enableOfflineQueue: false,
      // A command in flight when the connection drops is retried once after reconnecting, then fails.
      maxRetriesPerRequest: 1,
      commandTimeout: options.commandTimeoutMs ?? 5000,
      connectTimeout: 2000,
      // Reconnect for ever, at most 1 s apart: service resumes within a second of Redis coming back.
      retryStrategy: (attempt) => Math.min(100 * attempt, 1000),
    }) as Redis & ScriptCommands
    redis.defineCommand('privinferPut', { numberOfKeys: 4, lua: PUT_SCRIPT })
    redis.defineCommand('privinferDelete', { numberOfKeys: 3, lua: DELETE_SCRIPT })
    redis.defineCommand('privinferUsage', { numberOfKeys: 1, lua: USAGE_SCRIPT })
    redis.defineCommand('privinferSweep', { numberOfKeys: 1, lua: SWEEP_SCRIPT })
    redis.defineCommand('privinferWindow', { numberOfKeys: 1, lua: WINDOW_SCRIPT })
    redis.on('ready', () => {
      this.#logger?.info({ keyStore: 'redis', recovered: this.#outage }, 'key store connected')
      this.#outage = false
    })
    redis.on('error', (error: Error) => {
      // Logged once per outage; ioredis keeps reconnecting in the background.
      if (!this.#outage && !this.#closing)
        this.#logger?.warn({ keyStore: 'redis', err: error.message }, 'key store unreachable')
      this.#outage = true
    })
    this.#redis = redis
  }

  /**
   * Connects. When Redis is not reachable yet the service still starts: requests needing keys get
   * KEY_STORE_UNAVAILABLE until the background reconnection succeeds.
   */
  async init(): Promise<void> {
    try {
      await this.#redis.connect()
    } catch (error) {
      this.#logger?.warn(
        { keyStore: 'redis', err: (error as Error).message },
        'key store unreachable at start-up; retrying in the background',
      )
    }
  }

  /** True while connected and ready. */
  get connected(): boolean {
    return this.#redis.status === 'ready'
  }

  async put(
    modelId: string,
    keys: EvaluationKeyBytes,
    options: PutOptions = {},
  ): Promise<{ keyId: string; expiresAt: string }> {
    const owner = options.owner ?? ANONYMOUS_OWNER
    const { keyId, ...record } = newKeyRecord(modelId, keys, Date.now(), this.#ttlMs, owner)
    const digest = keyIdDigest(keyId)
    const bytes = storedBytesOf({ keyId, ...record })
    const reply = await this.#call(() =>
      this.#redis.privinferPut(
        this.#recKey(digest),
        this.#dataKey(digest),
        this.#ownerKey(owner),
        this.#allKey(),
        JSON.stringify(record),
        bufferOf(keys.galoisKeys),
        keys.relinKeys ? bufferOf(keys.relinKeys) : '',
        String(this.#ttlMs),
        String(bytes),
        String(this.#quota.maxKeySetsPerClient),
        String(this.#quota.maxKeyBytesPerClient),
        String(this.#quota.maxTotalKeyBytes),
        digest,
        keys.publicKey ? bufferOf(keys.publicKey) : '',
      ),
    )
    const [status, used] = reply.map(Number)
    if (status === 1)
      throw quotaError({ kind: 'key-sets', used, max: this.#quota.maxKeySetsPerClient }, bytes)
    if (status === 2)
      throw quotaError({ kind: 'key-bytes', used, max: this.#quota.maxKeyBytesPerClient }, bytes)
    if (status === 3)
      throw quotaError({ kind: 'total-bytes', max: this.#quota.maxTotalKeyBytes }, bytes)
    return { keyId, expiresAt: record.expiresAt }
  }

  async describe(keyId: string): Promise<KeyRecord> {
    if (!isKeyId(keyId)) throw keyNotFound()
    const digest = keyIdDigest(keyId)
    const [recordJson, exists] = await this.#call(async () => {
      const replies = await this.#redis
        .multi()
        .get(this.#recKey(digest))
        .exists(this.#dataKey(digest))
        .exec()
      return [resultOf<string | null>(replies, 0), resultOf<number>(replies, 1)] as const
    })
    return this.#live(keyId, digest, recordJson, exists === 1)
  }

  async get(keyId: string): Promise<StoredKeys> {
    if (!isKeyId(keyId)) throw keyNotFound()
    const digest = keyIdDigest(keyId)
    const [recordJson, data] = await this.#call(async () => {
      const replies = await this.#redis
        .multi()
        .get(this.#recKey(digest))
        .hgetallBuffer(this.#dataKey(digest))
        .exec()
      return [
        resultOf<string | null>(replies, 0),
        resultOf<Record<string, Buffer>>(replies, 1),
      ] as const
    })
    const galois = data?.galois
    const record = await this.#live(keyId, digest, recordJson, galois !== undefined)
    // Copies into ArrayBuffers of their own: the pool transfers (detaches) these buffers, and a reply
    // Buffer may share its memory with other replies.
    const galoisKeys = new Uint8Array(galois!)
    const relinKeys = data.relin ? new Uint8Array(data.relin) : undefined
    const publicKey = data.public ? new Uint8Array(data.public) : undefined
    return {
      record,
      keys: {
        galoisKeys,
        ...(relinKeys ? { relinKeys } : {}),
        ...(publicKey ? { publicKey } : {}),
      },
    }
  }

  async delete(keyId: string): Promise<void> {
    if (!isKeyId(keyId)) throw keyNotFound()
    const digest = keyIdDigest(keyId)
    const deleted = await this.#call(() =>
      this.#redis.privinferDelete(
        this.#recKey(digest),
        this.#dataKey(digest),
        this.#allKey(),
        this.#prefix,
        digest,
      ),
    )
    if (Number(deleted) !== 1) throw keyNotFound()
  }

  async usage(owner: string): Promise<KeyUsage> {
    const [keySets, keyBytes] = (
      await this.#call(() => this.#redis.privinferUsage(this.#ownerKey(owner)))
    ).map(Number)
    return { keySets, keyBytes }
  }

  async sweepExpired(): Promise<number> {
    // Redis expires the data itself; this only trims the store-wide index.
    return Number(await this.#call(() => this.#redis.privinferSweep(this.#allKey())))
  }

  /**
   * A fixed-window counter shared by every replica on this Redis (the rate limits of
   * service/http/rate-limit.ts). `name` is hashed: addresses and key ids are not stored as names.
   */
  async hitWindow(name: string, windowMs: number): Promise<{ count: number; resetMs: number }> {
    const key = `${this.#prefix}rate:${keyIdDigest(name)}`
    const [count, resetMs] = (
      await this.#call(() => this.#redis.privinferWindow(key, String(windowMs)))
    ).map(Number)
    return { count, resetMs }
  }

  async close(): Promise<void> {
    this.#closing = true
    try {
      await this.#redis.quit()
    } catch {
      this.#redis.disconnect()
    }
  }

  async #live(
    keyId: string,
    digest: string,
    recordJson: string | null,
    hasData: boolean,
  ): Promise<KeyRecord> {
    if (recordJson === null) throw keyNotFound()
    const record: KeyRecord = { keyId, ...(JSON.parse(recordJson) as StoredRecord) }
    if (!hasData) {
      // Expired by Redis: answer KEY_EXPIRED this once.
      await this.#call(() => this.#redis.del(this.#recKey(digest)))
      throw keyExpired(record)
    }
    return record
  }

  /** Runs a command; connection trouble becomes KEY_STORE_UNAVAILABLE. */
  async #call<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command()
    } catch (error) {
      throw toStoreError(error)
    }
  }

  #recKey(digest: string): string {
    return `${this.#prefix}rec:${digest}`
  }
  #dataKey(digest: string): string {
    return `${this.#prefix}data:${digest}`
  }
  #ownerKey(owner: string): string {
    return `${this.#prefix}owner:${owner}`
  }
  #allKey(): string {
    return `${this.#prefix}all`
  }
}

function bufferOf(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

function resultOf<T>(replies: Array<[Error | null, unknown]> | null, index: number): T {
  // exec() resolves null when the transaction was aborted (never here: no WATCH).
  const entry = replies?.[index]
  if (!entry) throw new Error('redis transaction returned no reply')
  if (entry[0]) throw entry[0]
  return entry[1] as T
}

function toStoreError(error: unknown): Error {
  if (error instanceof PrivinferError) return error
  const message = (error as Error | undefined)?.message ?? String(error)
  const isReply = (error as Error | undefined)?.name === 'ReplyError'
  if (isReply && /^OOM\b/.test(message)) {
    return new PrivinferError(
      'KEY_STORAGE_FULL',
      'the key store is out of memory; retry later',
      {},
      { cause: error },
    )
  }
  if (!isReply || UNAVAILABLE_REPLIES.test(message)) {
    return new PrivinferError(
      'KEY_STORE_UNAVAILABLE',
      'the key store (Redis) is not reachable; retry shortly',
      {},
      { cause: error },
    )
  }
  return error as Error
}
