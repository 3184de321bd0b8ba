/**
 * The default KeyStore: one folder per key id under a root folder (keys/ by default).
 *
 *   keys/<keyId>/galois.bin      SEAL-serialized GaloisKeys as uploaded
 *   keys/<keyId>/relin.bin       SEAL-serialized RelinKeys (only when the model needs them)
 *   keys/<keyId>/metadata.json   KeyRecord: modelId, createdAt, expiresAt, sizes
 *
 * Writes are atomic: files are written (mode 0600, fsynced) into a hidden temporary folder (mode 0700)
 * that is then renamed to keys/<keyId>, so a reader sees a whole key set or none. The id is checked
 * against the key-id pattern before it is ever joined to a path.
 */
import { mkdir, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import type { EvaluationKeyBytes, KeyRecord, KeyStore, StoredKeys } from './key-store.ts'
import { isKeyId } from './key-id.ts'
import { type Clock, isExpired, keyExpired, keyNotFound, newKeyRecord } from './expiry.ts'

export interface FileKeyStoreOptions {
  /** Root folder; created (mode 0700) when missing. */
  dir: string
  /** Lifetime of a key set, seconds. */
  ttlSeconds: number
  now?: Clock
}

const GALOIS_FILE = 'galois.bin'
const RELIN_FILE = 'relin.bin'
const METADATA_FILE = 'metadata.json'
const TEMP_PREFIX = '.tmp-'
/** Temporary folders older than this are leftovers of a crash and are swept, milliseconds. */
const STALE_TEMP_MS = 10 * 60 * 1000

export class FileKeyStore implements KeyStore {
  readonly #dir: string
  readonly #ttlMs: number
  readonly #now: Clock

  constructor(options: FileKeyStoreOptions) {
    this.#dir = options.dir
    this.#ttlMs = options.ttlSeconds * 1000
    this.#now = options.now ?? Date.now
  }

  /** Creates the root folder (owner-only). Call once before use. */
  async init(): Promise<void> {
    await mkdir(this.#dir, { recursive: true, mode: 0o700 })
  }

  async put(
    modelId: string,
    keys: EvaluationKeyBytes,
  ): Promise<{ keyId: string; expiresAt: string }> {
    const record = newKeyRecord(modelId, keys, this.#now(), this.#ttlMs)
    const keyId = record.keyId
    const temp = join(this.#dir, `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`)
    await mkdir(temp, { mode: 0o700 })
    try {
      await writePrivateFile(join(temp, GALOIS_FILE), keys.galoisKeys)
      if (keys.relinKeys) await writePrivateFile(join(temp, RELIN_FILE), keys.relinKeys)
      await writePrivateFile(
        join(temp, METADATA_FILE),
        new TextEncoder().encode(JSON.stringify(record)),
      )
      await rename(temp, join(this.#dir, keyId))
    } catch (error) {
      await rm(temp, { recursive: true, force: true })
      throw error
    }
    return { keyId, expiresAt: record.expiresAt }
  }

  async describe(keyId: string): Promise<KeyRecord> {
    return this.#liveRecord(keyId)
  }

  async get(keyId: string): Promise<StoredKeys> {
    const record = await this.#liveRecord(keyId)
    const folder = join(this.#dir, keyId)
    try {
      const galoisKeys = new Uint8Array(await readFile(join(folder, GALOIS_FILE)))
      const relinKeys =
        record.relinKeyBytes > 0
          ? new Uint8Array(await readFile(join(folder, RELIN_FILE)))
          : undefined
      return { record, keys: relinKeys ? { galoisKeys, relinKeys } : { galoisKeys } }
    } catch (error) {
      // Deleted between reading the record and the bytes.
      if (isMissing(error)) throw keyNotFound()
      throw error
    }
  }

  async delete(keyId: string): Promise<void> {
    if (!isKeyId(keyId)) throw keyNotFound()
    const folder = join(this.#dir, keyId)
    try {
      await stat(folder)
    } catch (error) {
      if (isMissing(error)) throw keyNotFound()
      throw error
    }
    await rm(folder, { recursive: true, force: true })
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
      if (!isKeyId(name)) continue
      const record = await this.#readRecord(name).catch(() => undefined)
      if (record === undefined || isExpired(record, nowMs)) {
        await rm(folder, { recursive: true, force: true })
        removed++
      }
    }
    return removed
  }

  async #liveRecord(keyId: string): Promise<KeyRecord> {
    if (!isKeyId(keyId)) throw keyNotFound()
    let record: KeyRecord
    try {
      record = await this.#readRecord(keyId)
    } catch (error) {
      if (isMissing(error)) throw keyNotFound()
      throw error
    }
    if (isExpired(record, this.#now())) {
      await rm(join(this.#dir, keyId), { recursive: true, force: true })
      throw keyExpired(record)
    }
    return record
  }

  async #readRecord(keyId: string): Promise<KeyRecord> {
    const text = await readFile(join(this.#dir, keyId, METADATA_FILE), 'utf8')
    return JSON.parse(text) as KeyRecord
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
