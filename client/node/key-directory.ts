/**
 * A local keys directory for the client's secret keys (Node only; the browser bundle never imports
 * this file: client/privinfer-client.ts loads it lazily, and only when `openSession(id, { keysDir })`
 * is called in Node).
 *
 * Layout, one pair of files per model:
 * - `<modelId>.secret-key.seal`: the SEAL-serialized secret key (core/he LocalSecretKey), mode 0600;
 * - `<modelId>.json`: {@link SessionKeyMetadata}: which encryption parameters the key belongs to
 *   (SHA-256 of the card's `he.encryptionParametersBase64`, and SEAL's key-level parms_id), the
 *   SHA-256 of the key file, the service URL and last remote key id; mode 0600.
 * The directory is created with mode 0700. An existing one must be a real directory (not a symlink)
 * owned by the current user and not group/world-writable (else {@link KeyDirectoryError} `insecure`);
 * group/world read or execute bits are removed. Files are written atomically (temporary file in the
 * same directory, fsync, rename); the key file first, the metadata last, so a crash leaves either the
 * old pair or a key file that the metadata's hash does not match (refused as `malformed`).
 *
 * Secret keys stay on this disk: nothing here talks to the network.
 */
import { createHash, randomBytes } from 'node:crypto'
import { chmod, lstat, mkdir, open, readFile, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { ModelCard } from '../../core/card.ts'
import type { CkksContext } from '../../core/ckks/context.ts'
import { PrivinferError } from '../../core/errors.ts'
import {
  createClientKeys,
  exportSecretKeyForLocalStorage,
  localSecretKeyFromStorage,
  restoreClientKeys,
  type ClientKeys,
  type LocalSecretKey,
} from '../../core/he/index.ts'

export const SESSION_KEYS_FORMAT = 'privinfer-session-keys/1'

/** Why a keys directory or its files were refused. */
export type KeyDirectoryProblem = 'insecure' | 'malformed' | 'wrong-parameters' | 'wrong-model'

const CODES = {
  insecure: 'CONFIG_INVALID',
  malformed: 'KEYS_MALFORMED',
  'wrong-parameters': 'KEYS_WRONG_PARAMETERS',
  'wrong-model': 'KEYS_MODEL_MISMATCH',
} as const

export class KeyDirectoryError extends PrivinferError {
  readonly problem: KeyDirectoryProblem
  constructor(problem: KeyDirectoryProblem, message: string, options?: ErrorOptions) {
    super(CODES[problem], message, { problem }, options)
    this.problem = problem
  }
}

/** What `<modelId>.json` holds (no key material). */
export interface SessionKeyMetadata {
  format: typeof SESSION_KEYS_FORMAT
  modelId: string
  baseUrl?: string
  /** The remote id of the evaluation keys uploaded when the key was saved (informational). */
  keyId?: string
  /** Hex SHA-256 of the model card's he.encryptionParametersBase64, when known. */
  parametersSha256?: string
  /** SEAL's key-level parms_id (hex) for the parameters the key was made under. */
  parametersId: string
  /** Hex SHA-256 of the secret-key file. */
  secretKeySha256: string
  /** ISO-8601. */
  savedAt: string
}

export interface SessionKeyInfo {
  modelId: string
  baseUrl?: string
  keyId?: string
  /** The model card's he.encryptionParametersBase64 (recorded as a SHA-256). */
  parametersBase64?: string
}

export interface StoredSessionKeys {
  metadata: SessionKeyMetadata
  secretKey: LocalSecretKey
}

const MODEL_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/
const HEX_64 = /^[0-9a-f]{64}$/
const checksModes = process.platform !== 'win32'

/** Hex SHA-256 of an encryption-parameters base64 string (what the metadata records). */
export function parametersSha256(parametersBase64: string): string {
  return createHash('sha256').update(parametersBase64, 'utf8').digest('hex')
}

/**
 * Writes the secret key of a model (mode 0600) and its metadata into `dir` (created with mode 0700).
 * @throws KeyDirectoryError insecure when `dir` is group/world-writable, not owned by this user, or not
 *   a directory; PrivinferError INPUT_INVALID for a model id that is not a plain file name.
 */
export async function saveSessionKeys(
  dir: string,
  info: SessionKeyInfo,
  localSecretKey: LocalSecretKey,
): Promise<SessionKeyMetadata> {
  const { keyFile, metadataFile } = fileNames(info.modelId)
  await mkdir(dir, { recursive: true, mode: 0o700 })
  await secureDirectory(dir)
  const bytes = localSecretKey.bytesForLocalFile()
  let metadata: SessionKeyMetadata
  try {
    metadata = {
      format: SESSION_KEYS_FORMAT,
      modelId: info.modelId,
      ...(info.baseUrl !== undefined ? { baseUrl: info.baseUrl } : {}),
      ...(info.keyId !== undefined ? { keyId: info.keyId } : {}),
      ...(info.parametersBase64 !== undefined
        ? { parametersSha256: parametersSha256(info.parametersBase64) }
        : {}),
      parametersId: localSecretKey.parametersId,
      secretKeySha256: createHash('sha256').update(bytes).digest('hex'),
      savedAt: new Date().toISOString(),
    }
    await writeFileAtomic(dir, keyFile, bytes)
  } finally {
    bytes.fill(0)
  }
  await writeFileAtomic(
    dir,
    metadataFile,
    new TextEncoder().encode(`${JSON.stringify(metadata, null, 2)}\n`),
  )
  return metadata
}

/**
 * Reads the stored secret key of `modelId`, or undefined when there is none (no directory, or no
 * metadata file). With `expected.parametersBase64` (the card's he.encryptionParametersBase64), a key
 * saved for other parameters is refused.
 * @throws KeyDirectoryError insecure (directory or key file writable by others, or not owned by this
 *   user), malformed (unreadable metadata, key file missing or not matching its hash), wrong-model,
 *   wrong-parameters.
 */
export async function loadSessionKeys(
  dir: string,
  modelId: string,
  expected: { parametersBase64?: string } = {},
): Promise<StoredSessionKeys | undefined> {
  const { keyFile, metadataFile } = fileNames(modelId)
  try {
    await lstat(dir)
  } catch (error) {
    if (isNotFound(error)) return undefined
    throw error
  }
  await secureDirectory(dir)
  let text: string
  try {
    await secureFile(join(dir, metadataFile))
    text = await readFile(join(dir, metadataFile), 'utf8')
  } catch (error) {
    if (isNotFound(error)) return undefined
    throw error
  }
  const metadata = parseMetadata(text)
  if (metadata.modelId !== modelId) {
    throw new KeyDirectoryError(
      'wrong-model',
      `${metadataFile} belongs to model ${metadata.modelId}`,
    )
  }
  if (
    expected.parametersBase64 !== undefined &&
    metadata.parametersSha256 !== undefined &&
    metadata.parametersSha256 !== parametersSha256(expected.parametersBase64)
  ) {
    throw new KeyDirectoryError(
      'wrong-parameters',
      `the stored key of ${modelId} was made under other encryption parameters`,
    )
  }
  let bytes: Uint8Array
  try {
    await secureFile(join(dir, keyFile))
    bytes = await readFile(join(dir, keyFile))
  } catch (error) {
    if (isNotFound(error)) throw new KeyDirectoryError('malformed', `${keyFile} is missing`)
    throw error
  }
  try {
    if (createHash('sha256').update(bytes).digest('hex') !== metadata.secretKeySha256) {
      throw new KeyDirectoryError(
        'malformed',
        `${keyFile} does not match the hash in ${metadataFile}`,
      )
    }
    return { metadata, secretKey: localSecretKeyFromStorage(bytes, metadata.parametersId) }
  } finally {
    bytes.fill(0)
  }
}

/** Keys for one session, from the directory or new (see {@link prepareSessionKeys}). */
export interface PreparedSessionKeys {
  keys: ClientKeys
  /** True when the stored secret key was reused. */
  reused: boolean
  /** Saves a new key (with the remote key id); does nothing for a reused one. */
  commit(keyId: string): Promise<void>
}

/**
 * For `openSession(modelId, { keysDir })`: reuses the model's stored secret key when there is one for
 * these parameters (the evaluation keys are regenerated from it), otherwise makes new keys, to be saved
 * by `commit` once the service has accepted the evaluation keys. A stored key for other parameters (the
 * model was recompiled) is replaced; an insecure directory or a corrupt key file is an error.
 */
export async function prepareSessionKeys(
  dir: string,
  ctx: CkksContext,
  card: ModelCard,
  baseUrl?: string,
): Promise<PreparedSessionKeys> {
  const options = {
    galoisSteps: card.he.galoisSteps,
    relin: card.he.needsRelinKeys,
    publicKey: card.he.flooding !== undefined,
  }
  const parametersBase64 = ctx.encryptionParametersBase64()
  let stored: StoredSessionKeys | undefined
  try {
    stored = await loadSessionKeys(dir, card.id, { parametersBase64 })
  } catch (error) {
    if (!(error instanceof KeyDirectoryError && error.problem === 'wrong-parameters')) throw error
  }
  if (stored !== undefined && stored.secretKey.parametersId === ctx.keyParmsIdKey) {
    try {
      return {
        keys: restoreClientKeys(ctx, stored.secretKey, options),
        reused: true,
        commit: async () => {},
      }
    } finally {
      stored.secretKey.wipe()
    }
  }
  stored?.secretKey.wipe()
  const keys = createClientKeys(ctx, options)
  return {
    keys,
    reused: false,
    async commit(keyId: string) {
      const secretKey = exportSecretKeyForLocalStorage(keys)
      try {
        await saveSessionKeys(
          dir,
          { modelId: card.id, baseUrl, keyId, parametersBase64 },
          secretKey,
        )
      } finally {
        secretKey.wipe()
      }
    },
  }
}

function fileNames(modelId: string): { keyFile: string; metadataFile: string } {
  if (!MODEL_ID_PATTERN.test(modelId)) {
    throw new PrivinferError(
      'INPUT_INVALID',
      'a model id for the keys directory must be a plain file name',
    )
  }
  return { keyFile: `${modelId}.secret-key.seal`, metadataFile: `${modelId}.json` }
}

/** Refuses a directory others could write to; removes group/world read and search bits. */
async function secureDirectory(dir: string): Promise<void> {
  const info = await lstat(dir)
  if (info.isSymbolicLink() || !info.isDirectory()) {
    throw new KeyDirectoryError(
      'insecure',
      'the keys directory must be a directory (not a symbolic link)',
    )
  }
  if (!checksModes) return
  assertOwned(info.uid, 'the keys directory')
  if ((info.mode & 0o022) !== 0) {
    throw new KeyDirectoryError(
      'insecure',
      `the keys directory is group- or world-writable (mode ${(info.mode & 0o777).toString(8)}); use a private one (mode 700)`,
    )
  }
  if ((info.mode & 0o077) !== 0) await chmod(dir, 0o700)
}

/** A key or metadata file: a regular file of this user, not writable by others; made owner-only. */
async function secureFile(path: string): Promise<void> {
  const info = await lstat(path)
  if (!info.isFile())
    throw new KeyDirectoryError('insecure', 'a keys-directory entry is not a regular file')
  if (!checksModes) return
  assertOwned(info.uid, 'a keys-directory file')
  if ((info.mode & 0o022) !== 0) {
    throw new KeyDirectoryError('insecure', 'a keys-directory file is group- or world-writable')
  }
  if ((info.mode & 0o077) !== 0) await chmod(path, 0o600)
}

function assertOwned(uid: number, what: string): void {
  if (typeof process.getuid === 'function' && uid !== process.getuid()) {
    throw new KeyDirectoryError('insecure', `${what} belongs to another user`)
  }
}

async function writeFileAtomic(dir: string, name: string, data: Uint8Array): Promise<void> {
  const temporary = join(dir, `.${name}.${randomBytes(8).toString('hex')}.tmp`)
  const handle = await open(temporary, 'wx', 0o600)
  try {
    try {
      await handle.chmod(0o600)
      await handle.writeFile(data)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(temporary, join(dir, name))
  } catch (error) {
    await rm(temporary, { force: true })
    throw error
  }
  await syncDirectory(dir)
}

async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r')
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
  } catch {
    // Not supported on every platform; the rename itself is atomic.
  }
}

function parseMetadata(text: string): SessionKeyMetadata {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new KeyDirectoryError('malformed', 'the key metadata is not JSON', { cause: error })
  }
  const m = value as Partial<SessionKeyMetadata> | null
  const optionalString = (x: unknown) => x === undefined || typeof x === 'string'
  if (
    typeof m !== 'object' ||
    m === null ||
    m.format !== SESSION_KEYS_FORMAT ||
    typeof m.modelId !== 'string' ||
    typeof m.parametersId !== 'string' ||
    !HEX_64.test(m.parametersId) ||
    typeof m.secretKeySha256 !== 'string' ||
    !HEX_64.test(m.secretKeySha256) ||
    !(
      m.parametersSha256 === undefined ||
      (typeof m.parametersSha256 === 'string' && HEX_64.test(m.parametersSha256))
    ) ||
    !optionalString(m.baseUrl) ||
    !optionalString(m.keyId) ||
    typeof m.savedAt !== 'string'
  ) {
    throw new KeyDirectoryError('malformed', `the key metadata is not ${SESSION_KEYS_FORMAT}`)
  }
  return m as SessionKeyMetadata
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT'
}
