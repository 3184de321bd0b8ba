/**
 * The default KeyStore: one folder per key set under a root folder (keys/ by default), for one
 * machine and one service process (replicas share a RedisKeyStore instead).
 *
 *   keys/                        mode 0700 (made so at start-up, also when it already existed)
 *   keys/<digest>/galois.bin     SEAL-serialized GaloisKeys as uploaded, mode 0600
 *   keys/<digest>/relin.bin      SEAL-serialized RelinKeys (only when the model needs them), 0600
 *   keys/<digest>/public.bin     SEAL-serialized PublicKey (only for noise flooding), 0600
 *   keys/<digest>/metadata.json  the KeyRecord without the key id: model, times, sizes, owner, 0600
 *
 * `<digest>` is SHA-256 of the key id (key-id.ts `keyIdDigest`): the id is a bearer capability, so it
 * is never written to disk, as a name or as content; a user who can list keys/ learns nothing usable.
 * Writes are atomic: files are written (fsynced) into a hidden temporary folder (mode 0700) that is
 * then renamed, so a reader sees a whole key set or none. Ids are checked against the key-id pattern
 * before anything touches a path.
 */
import { chmod, mkdir, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
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
import {
  type Clock,
  isExpired,
  keyExpired,
  keyNotFound,
  newKeyRecord,
  storedBytesOf,
} from './expiry.ts'
import { ANONYMOUS_OWNER, type KeyQuota, QuotaLedger, UNLIMITED_QUOTA } from './quota.ts'

export interface FileKeyStoreOptions {
  /** Root folder; created (mode 0700) when missing, set to 0700 when not. */
  dir: string
  /** Lifetime of a key set, seconds. */
  ttlSeconds: number
  /** Per-client and total limits (default: none). */
  quota?: KeyQuota
  now?: Clock
}

const GALOIS_FILE = 'galois.bin'
const RELIN_FILE = 'relin.bin'
const PUBLIC_FILE = 'public.bin'
const METADATA_FILE = 'metadata.json'
const TEMP_PREFIX = '.tmp-'
/** Temporary folders older than this are leftovers of a crash and are swept, milliseconds. */
const STALE_TEMP_MS = 10 * 60 * 1000
/** SHA-256 in base64url: the folder names of key sets. */
const DIGEST_PATTERN = /^[A-Za-z0-9_-]{43}$/

type StoredRecord = Omit<KeyRecord, 'keyId'>

export class FileKeyStore implements KeyStore {
  readonly #dir: string
  readonly #ttlMs: number
  readonly #now: Clock
  readonly #ledger: QuotaLedger
  /** Puts run one at a time, so a quota check and its write are one step. */
  #putChain: Promise<unknown> = Promise.resolve()

  constructor(options: FileKeyStoreOptions) {
    this.#dir = options.dir
    this.#ttlMs = options.ttlSeconds * 1000
    this.#now = options.now ?? Date.now
    this.#ledger = new QuotaLedger(options.quota ?? UNLIMITED_QUOTA)
  }

  /**
   * Creates the root folder owner-only (or makes an existing one so), removes folders of an older
   * layout that were named by key id, and reads the quota ledger. Call once before use.
   * @throws PrivinferError CONFIG_INVALID when the folder cannot be made owner-only.
   */
  async init(): Promise<void> {
    await mkdir(this.#dir, { recursive: true, mode: 0o700 })
    try {
      await chmod(this.#dir, 0o700)
    } catch (error) {
      throw new PrivinferError(
        'CONFIG_INVALID',
        `the key store folder ${this.#dir} cannot be made owner-only (mode 0700): ${(error as Error).message}`,
        {},
        { cause: error },
      )
    }
    for (const name of await readdir(this.#dir)) {
      if (isKeyId(name)) await rm(join(this.#dir, name), { recursive: true, force: true })
      if (!DIGEST_PATTERN.test(name)) continue
      const record = await this.#readRecord(name).catch(() => undefined)
      if (record) this.#remember(name, record)
    }
  }

  put(
    modelId: string,
    keys: EvaluationKeyBytes,
    options: PutOptions = {},
  ): Promise<{ keyId: string; expiresAt: string }> {
    const result = this.#putChain.then(() => this.#put(modelId, keys, options))
    this.#putChain = result.catch(() => undefined)
    return result
  }

  async #put(
    modelId: string,
    keys: EvaluationKeyBytes,
    options: PutOptions,
  ): Promise<{ keyId: string; expiresAt: string }> {
    const owner = options.owner ?? ANONYMOUS_OWNER
    const nowMs = this.#now()
    const { keyId, ...record } = newKeyRecord(modelId, keys, nowMs, this.#ttlMs, owner)
    this.#ledger.assertFits(owner, storedBytesOf({ keyId, ...record }), nowMs)
    const digest = keyIdDigest(keyId)
    const temp = join(this.#dir, `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`)
    await mkdir(temp, { mode: 0o700 })
    try {
      await writePrivateFile(join(temp, GALOIS_FILE), keys.galoisKeys)
      if (keys.relinKeys) await writePrivateFile(join(temp, RELIN_FILE), keys.relinKeys)
      if (keys.publicKey) await writePrivateFile(join(temp, PUBLIC_FILE), keys.publicKey)
      await writePrivateFile(
        join(temp, METADATA_FILE),
        new TextEncoder().encode(JSON.stringify(record)),
      )
      await rename(temp, join(this.#dir, digest))
    } catch (error) {
      await rm(temp, { recursive: true, force: true })
      throw error
    }
    this.#remember(digest, record)
    return { keyId, expiresAt: record.expiresAt }
  }

  async describe(keyId: string): Promise<KeyRecord> {
    return this.#liveRecord(keyId)
  }

  async get(keyId: string): Promise<StoredKeys> {
    const record = await this.#liveRecord(keyId)
    const folder = join(this.#dir, keyIdDigest(keyId))
    try {
      const galoisKeys = new Uint8Array(await readFile(join(folder, GALOIS_FILE)))
      const relinKeys =
        record.relinKeyBytes > 0
          ? new Uint8Array(await readFile(join(folder, RELIN_FILE)))
          : undefined
      const publicKey =
        (record.publicKeyBytes ?? 0) > 0
          ? new Uint8Array(await readFile(join(folder, PUBLIC_FILE)))
          : undefined
      return {
        record,
        keys: {
          galoisKeys,
          ...(relinKeys ? { relinKeys } : {}),
          ...(publicKey ? { publicKey } : {}),
        },
      }
    } catch (error) {
      // Deleted between reading the record and the bytes.
      if (isMissing(error)) throw keyNotFound()
      throw error
    }
  }

  async delete(keyId: string): Promise<void> {
    if (!isKeyId(keyId)) throw keyNotFound()
    const digest = keyIdDigest(keyId)
    const folder = join(this.#dir, digest)
    try {
      await stat(folder)
    } catch (error) {
      if (isMissing(error)) throw keyNotFound()
      throw error
    }
    await this.#remove(digest)
  }

  async usage(owner: string): Promise<KeyUsage> {
    return this.#ledger.usage(owner, this.#now())
  }

  async sweepExpired(): Promise<number> {
    let removed = 0
    const nowMs = this.#now()
    for (const name of await readdir(this.#dir).catch(() => [] as string[])) {
      const folder = join(this.#dir, name)
      if (name.startsWith(TEMP_PREFIX)) {
        const info = await stat(folder).catch(() => undefined)
        if (info && nowMs - info.mtimeMs > STALE_TEMP_MS)
          await rm(folder, { recursive: true, force: true })
        continue
      }
      if (!DIGEST_PATTERN.test(name)) continue
      const record = await this.#readRecord(name).catch(() => undefined)
      if (record === undefined || Date.parse(record.expiresAt) <= nowMs) {
        await this.#remove(name)
        removed++
      }
    }
    return removed
  }

  async close(): Promise<void> {
    await this.#putChain
  }

  #remember(digest: string, record: StoredRecord): void {
    this.#ledger.add(digest, {
      owner: record.owner ?? ANONYMOUS_OWNER,
      bytes: storedBytesOf({ keyId: digest, ...record }),
      expiresAtMs: Date.parse(record.expiresAt),
    })
  }

  async #remove(digest: string): Promise<void> {
    this.#ledger.remove(digest)
    await rm(join(this.#dir, digest), { recursive: true, force: true })
  }

  async #liveRecord(keyId: string): Promise<KeyRecord> {
    if (!isKeyId(keyId)) throw keyNotFound()
    const digest = keyIdDigest(keyId)
    let record: KeyRecord
    try {
      record = { keyId, ...(await this.#readRecord(digest)) }
    } catch (error) {
      if (isMissing(error)) throw keyNotFound()
      throw error
    }
    if (isExpired(record, this.#now())) {
      await this.#remove(digest)
      throw keyExpired(record)
    }
    return record
  }

  async #readRecord(digest: string): Promise<StoredRecord> {
    const text = await readFile(join(this.#dir, digest, METADATA_FILE), 'utf8')
    return JSON.parse(text) as StoredRecord
  }
}

async function writePrivateFile(path: string, bytes: Uint8Array): Promise<void> {
  const handle = await open(path, 'wx', 0o600)
  try {
    await handle.writeFile(bytes)
    await handle.sync()
  } finally {
    await handle.close()
  }
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT'
}
