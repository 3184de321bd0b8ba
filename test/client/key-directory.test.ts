import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ModelCard } from '../../core/card.ts'
import { createCkksContext, type CkksContext } from '../../core/ckks/context.ts'
import { PrivinferError } from '../../core/errors.ts'
import {
  createClientKeys,
  exportSecretKeyForLocalStorage,
  restoreClientKeys,
  type ClientKeys,
  type LocalSecretKey,
} from '../../core/he/index.ts'
import { loadSeal, type SealModule } from '../../core/seal/load.ts'
import {
  KeyDirectoryError,
  loadSessionKeys,
  parametersSha256,
  prepareSessionKeys,
  saveSessionKeys,
} from '../../client/node/key-directory.ts'
import { PrivinferClient } from '../../client/privinfer-client.ts'
import type { ServiceApi } from '../../client/service-api.ts'
import { freshTolerance, N4096, N8192_OTHER } from '../core/support/params.ts'

let seal: SealModule
let ctx: CkksContext
let keys: ClientKeys
let secretKey: LocalSecretKey
let root: string
const options = { galoisSteps: [1], relin: false }
const values = [0.5, -2, 1.25]

const modeOf = async (path: string) => (await stat(path)).mode & 0o777

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection')
}

function expectDecrypts(from: ClientKeys, to: ClientKeys) {
  const ciphertext = from.encrypt(values)
  const decrypted = to.decrypt(ciphertext)
  ciphertext.delete()
  values.forEach((x, i) => expect(Math.abs(decrypted[i] - x)).toBeLessThan(freshTolerance(N4096)))
}

beforeAll(async () => {
  seal = await loadSeal()
  ctx = createCkksContext(seal, N4096)
  keys = createClientKeys(ctx, options)
  secretKey = exportSecretKeyForLocalStorage(keys)
  root = await mkdtemp(join(tmpdir(), 'privinfer-keys-'))
})
afterAll(async () => {
  keys.delete()
  ctx.delete()
  await rm(root, { recursive: true, force: true })
})

describe('saveSessionKeys / loadSessionKeys', () => {
  it('round trip: files 0600 in a 0700 directory; the restored key decrypts what the original encrypted', async () => {
    const dir = join(root, 'nested', 'keys')
    const metadata = await saveSessionKeys(
      dir,
      {
        modelId: 'm1',
        baseUrl: 'http://localhost:1',
        keyId: 'k1',
        parametersBase64: ctx.encryptionParametersBase64(),
      },
      secretKey,
    )
    expect(await modeOf(dir)).toBe(0o700)
    expect((await readdir(dir)).sort()).toEqual(['m1.json', 'm1.secret-key.seal'])
    expect(await modeOf(join(dir, 'm1.secret-key.seal'))).toBe(0o600)
    expect(await modeOf(join(dir, 'm1.json'))).toBe(0o600)
    expect(metadata.parametersSha256).toBe(parametersSha256(ctx.encryptionParametersBase64()))
    expect(JSON.parse(await readFile(join(dir, 'm1.json'), 'utf8'))).toEqual(metadata)

    const loaded = await loadSessionKeys(dir, 'm1', {
      parametersBase64: ctx.encryptionParametersBase64(),
    })
    expect(loaded?.metadata).toEqual(metadata)
    const restored = restoreClientKeys(ctx, loaded!.secretKey, options)
    try {
      expectDecrypts(keys, restored)
    } finally {
      restored.delete()
    }
  })

  it('returns undefined when nothing is stored', async () => {
    expect(await loadSessionKeys(join(root, 'absent'), 'm1')).toBeUndefined()
    expect(await loadSessionKeys(join(root, 'nested', 'keys'), 'other-model')).toBeUndefined()
  })

  it('tightens an existing readable directory and a readable key file', async () => {
    const dir = join(root, 'loose')
    await mkdir(dir, { mode: 0o755 })
    await chmod(dir, 0o755)
    await saveSessionKeys(dir, { modelId: 'm1' }, secretKey)
    expect(await modeOf(dir)).toBe(0o700)
    await chmod(join(dir, 'm1.secret-key.seal'), 0o644)
    expect(await loadSessionKeys(dir, 'm1')).toBeDefined()
    expect(await modeOf(join(dir, 'm1.secret-key.seal'))).toBe(0o600)
  })

  it('refuses a world-writable or group-writable directory (nothing written)', async () => {
    for (const mode of [0o777, 0o770]) {
      const dir = join(root, `open-${mode.toString(8)}`)
      await mkdir(dir)
      await chmod(dir, mode)
      const error = await rejection(saveSessionKeys(dir, { modelId: 'm1' }, secretKey))
      expect(error).toBeInstanceOf(KeyDirectoryError)
      expect((error as KeyDirectoryError).problem).toBe('insecure')
      expect(await readdir(dir)).toEqual([])
      expect(await modeOf(dir)).toBe(mode)
      expect(((await rejection(loadSessionKeys(dir, 'm1'))) as KeyDirectoryError).problem).toBe(
        'insecure',
      )
    }
  })

  it('refuses a group/world-writable key file', async () => {
    const dir = join(root, 'writable-file')
    await saveSessionKeys(dir, { modelId: 'm1' }, secretKey)
    await chmod(join(dir, 'm1.secret-key.seal'), 0o666)
    expect(((await rejection(loadSessionKeys(dir, 'm1'))) as KeyDirectoryError).problem).toBe(
      'insecure',
    )
  })

  it('rejects a key stored for other parameters with a typed error', async () => {
    const dir = join(root, 'params')
    const otherCtx = createCkksContext(seal, N8192_OTHER)
    try {
      await saveSessionKeys(
        dir,
        { modelId: 'm1', parametersBase64: ctx.encryptionParametersBase64() },
        secretKey,
      )
      const error = await rejection(
        loadSessionKeys(dir, 'm1', { parametersBase64: otherCtx.encryptionParametersBase64() }),
      )
      expect(error).toBeInstanceOf(KeyDirectoryError)
      expect((error as KeyDirectoryError).code).toBe('KEYS_WRONG_PARAMETERS')
      // Without the recorded hash, core/he refuses it by its parms_id.
      const loaded = await loadSessionKeys(dir, 'm1')
      const restoreError = await rejection(
        Promise.resolve().then(() => restoreClientKeys(otherCtx, loaded!.secretKey, options)),
      )
      expect((restoreError as PrivinferError).code).toBe('KEYS_WRONG_PARAMETERS')
    } finally {
      otherCtx.delete()
    }
  })

  it('rejects a tampered key file, bad metadata and a model id that is not a file name', async () => {
    const dir = join(root, 'tampered')
    await saveSessionKeys(dir, { modelId: 'm1' }, secretKey)
    const keyFile = join(dir, 'm1.secret-key.seal')
    const bytes = await readFile(keyFile)
    bytes[bytes.length - 1] ^= 1
    await writeFile(keyFile, bytes)
    expect(((await rejection(loadSessionKeys(dir, 'm1'))) as KeyDirectoryError).code).toBe(
      'KEYS_MALFORMED',
    )
    await writeFile(join(dir, 'm1.json'), '{"format":"other"}')
    expect(((await rejection(loadSessionKeys(dir, 'm1'))) as KeyDirectoryError).problem).toBe(
      'malformed',
    )
    expect(((await rejection(loadSessionKeys(dir, '../m1'))) as PrivinferError).code).toBe(
      'INPUT_INVALID',
    )
  })

  it('a LocalSecretKey cannot be passed to the service API upload functions (type level)', () => {
    const api = {} as ServiceApi
    const send = () => {
      // @ts-expect-error a LocalSecretKey is not an EvaluationKeyBundle
      void api.uploadKeys('m1', secretKey)
      // @ts-expect-error a LocalSecretKey is not an EncryptedInput
      void api.infer('m1', 'k1', secretKey)
      // @ts-expect-error its bytes are not an EncryptedInput either
      void api.infer('m1', 'k1', secretKey.bytesForLocalFile())
    }
    expect(send).toBeTypeOf('function')
  })
})

describe('openSession(modelId, { keysDir })', () => {
  function fakeService(card: ModelCard) {
    const calls: string[] = []
    let next = 0
    const fetch = (async (url: string, init?: RequestInit) => {
      const method = init?.method ?? 'GET'
      const path = new URL(url).pathname
      calls.push(`${method} ${path}`)
      if (method === 'GET' && path === `/v1/models/${card.id}`) return Response.json(card)
      if (method === 'POST' && path === '/v1/keys') {
        next += 1
        return Response.json({
          keyId: `key-${next}`,
          expiresAt: '2099-01-01T00:00:00Z',
          modelId: card.id,
        })
      }
      if (method === 'DELETE') return new Response(null, { status: 204 })
      return new Response('{}', { status: 404 })
    }) as typeof globalThis.fetch
    return { fetch, calls }
  }

  const cardFor = (params: typeof N4096, parametersBase64: string) =>
    ({
      id: 'digits',
      he: {
        polyModulusDegree: params.polyModulusDegree,
        coeffModulusBits: [...params.coeffModulusBits],
        scaleBits: params.scaleBits,
        encryptionParametersBase64: parametersBase64,
        galoisSteps: [1, 2],
        needsRelinKeys: false,
      },
    }) as unknown as ModelCard

  it('saves new keys after the upload, then reuses the stored key', async () => {
    const dir = join(root, 'session')
    const card = cardFor(N4096, ctx.encryptionParametersBase64())
    const service = fakeService(card)
    const client = await PrivinferClient.create({
      baseUrl: 'http://privinfer.test',
      fetch: service.fetch,
    })

    const first = await client.openSession('digits', { keysDir: dir })
    await first.close()
    const keyFile = join(dir, 'digits.secret-key.seal')
    const storedBytes = await readFile(keyFile)
    const metadata = JSON.parse(await readFile(join(dir, 'digits.json'), 'utf8'))
    expect(metadata).toMatchObject({
      modelId: 'digits',
      baseUrl: 'http://privinfer.test',
      keyId: 'key-1',
    })
    expect(await modeOf(keyFile)).toBe(0o600)
    expect(await modeOf(dir)).toBe(0o700)

    const second = await client.openSession('digits', { keysDir: dir })
    expect(second.keyId).toBe('key-2')
    await second.close()
    expect(await readFile(keyFile)).toEqual(storedBytes)
    expect(service.calls.filter((call) => call === 'POST /v1/keys')).toHaveLength(2)

    // The keys prepared from the directory are the stored ones.
    const prepared = await prepareSessionKeys(dir, ctx, card)
    try {
      expect(prepared.reused).toBe(true)
      const stored = await loadSessionKeys(dir, 'digits')
      const restored = restoreClientKeys(ctx, stored!.secretKey, options)
      expectDecrypts(prepared.keys, restored)
      restored.delete()
    } finally {
      prepared.keys.delete()
    }
  })

  it('replaces a stored key made for other parameters (the model was recompiled)', async () => {
    const dir = join(root, 'session')
    const otherCtx = createCkksContext(seal, N8192_OTHER)
    try {
      const card = cardFor(N8192_OTHER, otherCtx.encryptionParametersBase64())
      const before = await readFile(join(dir, 'digits.secret-key.seal'))
      const client = await PrivinferClient.create({
        baseUrl: 'http://privinfer.test',
        fetch: fakeService(card).fetch,
      })
      const session = await client.openSession('digits', { keysDir: dir })
      await session.close()
      expect(await readFile(join(dir, 'digits.secret-key.seal'))).not.toEqual(before)
      const stored = await loadSessionKeys(dir, 'digits', {
        parametersBase64: otherCtx.encryptionParametersBase64(),
      })
      expect(stored?.secretKey.parametersId).toBe(otherCtx.keyParmsIdKey)
    } finally {
      otherCtx.delete()
    }
  })

  it('refuses a world-writable keys directory before uploading anything', async () => {
    const dir = join(root, 'session-open')
    await mkdir(dir)
    await chmod(dir, 0o777)
    const card = cardFor(N4096, ctx.encryptionParametersBase64())
    const service = fakeService(card)
    const client = await PrivinferClient.create({
      baseUrl: 'http://privinfer.test',
      fetch: service.fetch,
    })
    const error = await rejection(client.openSession('digits', { keysDir: dir }))
    expect((error as KeyDirectoryError).problem).toBe('insecure')
    expect(service.calls).toEqual(['GET /v1/models/digits'])
  })
})
