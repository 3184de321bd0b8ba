/**
 * Bad uploads against the real service (real pool, real SEAL validation): random bytes, truncated and
 * bit-flipped ciphertexts, ciphertexts and keys made under other parameters, the wrong level, scale
 * and a transparent ciphertext, huge bodies, wrong content types. Every one is answered 4xx with a
 * problem code (or, for a flipped bit inside the coefficients, possibly 200: CKKS ciphertexts are not
 * authenticated, see docs/threat-model.md), never 5xx, and the service stays up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ModelCard } from '../../core/card.ts'
import { createCkksContext, type CkksContext } from '../../core/ckks/context.ts'
import { createClientKeys, encryptInput, type ClientKeys } from '../../core/he/index.ts'
import { loadSeal } from '../../core/seal/load.ts'
import { saveCiphertext } from '../../core/wire/ciphertext.ts'
import { SEAL_HEADER_BYTES } from '../../core/wire/sizes.ts'
import { uploadLimitsFor } from '../../service/http/upload-limits.ts'
import { seededRandom } from '../support/onnx-fixtures.ts'
import { startTestService, type TestService } from './test-service.ts'

let test: TestService
let card: ModelCard
let ctx: CkksContext
let keys: ClientKeys
let keyId: string
let validInput: Uint8Array
const random = seededRandom(20260101)

/** Parameters other than the model's (smaller ring; valid at 128-bit security). */
const OTHER_PARAMETERS = { polyModulusDegree: 4096, coeffModulusBits: [40, 20, 40], scaleBits: 20 }

interface Answer {
  status: number
  code: string | undefined
  contentType: string | null
}

async function answer(response: Response): Promise<Answer> {
  const contentType = response.headers.get('content-type')
  const body = contentType?.includes('json')
    ? ((await response.json()) as { code?: string })
    : (await response.arrayBuffer(), {})
  return { status: response.status, code: (body as { code?: string }).code, contentType }
}

function form(fields: Record<string, string>, files: Record<string, Uint8Array>): FormData {
  const data = new FormData()
  for (const [name, value] of Object.entries(fields)) data.append(name, value)
  for (const [name, bytes] of Object.entries(files))
    data.append(name, new Blob([bytes as Uint8Array<ArrayBuffer>]), `${name}.bin`)
  return data
}

async function infer(input: Uint8Array, id = keyId): Promise<Answer> {
  return answer(
    await fetch(`${test.url}/v1/models/${card.id}/infer`, {
      method: 'POST',
      body: form({ keyId: id }, { input }),
    }),
  )
}

async function uploadKeys(files: Record<string, Uint8Array>): Promise<Answer> {
  return answer(
    await fetch(`${test.url}/v1/keys`, { method: 'POST', body: form({ modelId: card.id }, files) }),
  )
}

function expectRejected(result: Answer, status?: number, code?: string): void {
  expect(result.status, JSON.stringify(result)).toBeGreaterThanOrEqual(400)
  expect(result.status, JSON.stringify(result)).toBeLessThan(500)
  expect(result.contentType).toMatch(/^application\/problem\+json/)
  expect(typeof result.code).toBe('string')
  if (status !== undefined)
    expect({ status: result.status, code: result.code }).toEqual({ status, code })
}

const randomBytes = (length: number) =>
  Uint8Array.from({ length }, () => Math.floor(random() * 256))

beforeAll(async () => {
  test = await startTestService()
  card = (await (await fetch(`${test.url}/v1/models/${test.modelId}`)).json()) as ModelCard
  ctx = createCkksContext(await loadSeal(), {
    polyModulusDegree: card.he.polyModulusDegree,
    coeffModulusBits: card.he.coeffModulusBits,
    scaleBits: card.he.scaleBits,
  })
  keys = createClientKeys(ctx, { galoisSteps: card.he.galoisSteps, relin: card.he.needsRelinKeys })
  const bundle = keys.evaluationKeyBundle()
  const stored = await fetch(`${test.url}/v1/keys`, {
    method: 'POST',
    body: form(
      { modelId: card.id },
      {
        galoisKeys: bundle.galoisKeys,
        ...(bundle.relinKeys ? { relinKeys: bundle.relinKeys } : {}),
      },
    ),
  })
  expect(stored.status).toBe(201)
  keyId = ((await stored.json()) as { keyId: string }).keyId
  validInput = encryptInput(
    ctx,
    keys,
    card.input.layout,
    new Float64Array(card.input.size).fill(0.5),
    { level: card.he.inputLevel },
  )
  expect((await infer(validInput)).status).toBe(200)
})

afterAll(async () => {
  keys?.delete()
  ctx?.delete()
  await test?.close()
})

describe('fuzzing the upload routes of the running service', () => {
  it('rejects random bytes as a ciphertext with CIPHERTEXT_MALFORMED', async () => {
    for (const length of [0, 1, 15, 16, 100, 4096, 100_000]) {
      const result = await infer(randomBytes(length))
      if (length === 0)
        expectRejected(result) // an empty file part
      else expectRejected(result, 400, 'CIPHERTEXT_MALFORMED')
    }
  })

  it('rejects a valid SEAL header followed by garbage', async () => {
    const forged = randomBytes(validInput.length)
    forged.set(validInput.subarray(0, SEAL_HEADER_BYTES))
    expectRejected(await infer(forged))
  })

  it('rejects truncated ciphertexts', async () => {
    for (const fraction of [0.1, 0.5, 0.9, 0.999]) {
      expectRejected(
        await infer(validInput.slice(0, Math.floor(validInput.length * fraction))),
        400,
        'CIPHERTEXT_MALFORMED',
      )
    }
  })

  it('rejects bit flips in the header and parms_id; never fails with 5xx on flips elsewhere', async () => {
    // Uncompressed, the first bytes are the SEAL header and the parms_id: every flip there is
    // refused. (Compressed, they are the zstd stream, where a flip can decode to other valid bytes.)
    const uncompressed = encryptInput(
      ctx,
      keys,
      card.input.layout,
      new Float64Array(card.input.size).fill(0.5),
      { level: card.he.inputLevel, compression: 'none' },
    )
    expect((await infer(uncompressed)).status).toBe(200)
    for (let bit = 0; bit < (SEAL_HEADER_BYTES + 32) * 8; bit++) {
      const flipped = uncompressed.slice()
      flipped[bit >> 3] ^= 1 << (bit & 7)
      expectRejected(await infer(flipped))
    }
    for (let trial = 0; trial < 8; trial++) {
      const flipped = validInput.slice()
      const bit =
        (SEAL_HEADER_BYTES + 32) * 8 +
        Math.floor(random() * (validInput.length - SEAL_HEADER_BYTES - 32) * 8)
      flipped[bit >> 3] ^= 1 << (bit & 7)
      const result = await infer(flipped)
      expect(
        result.status === 200 ||
          (result.status >= 400 && result.status < 500 && typeof result.code === 'string'),
        JSON.stringify(result),
      ).toBe(true)
    }
  })

  it('rejects a ciphertext under other parameters, at the wrong level, at the wrong scale, or transparent', async () => {
    const otherCtx = createCkksContext(ctx.seal, OTHER_PARAMETERS)
    const otherKeys = createClientKeys(otherCtx, { galoisSteps: [1], relin: false })
    try {
      const foreign = otherKeys.encryptSerialized(new Float64Array(8))
      expectRejected(await infer(foreign))
      expect(['CIPHERTEXT_WRONG_PARAMETERS', 'CIPHERTEXT_MALFORMED']).toContain(
        (await infer(foreign)).code,
      )
      // Keys made under other parameters.
      const otherBundle = otherKeys.evaluationKeyBundle()
      const keysResult = await uploadKeys({
        galoisKeys: otherBundle.galoisKeys,
        ...(card.he.needsRelinKeys ? { relinKeys: keys.evaluationKeyBundle().relinKeys! } : {}),
      })
      expectRejected(keysResult)
      expect(['KEYS_WRONG_PARAMETERS', 'KEYS_MALFORMED', 'KEYS_MISSING_STEPS']).toContain(
        keysResult.code,
      )
    } finally {
      otherKeys.delete()
      otherCtx.delete()
    }
    if (card.he.inputLevel > 0) {
      const low = keys.encryptSerialized(new Float64Array(8), { level: card.he.inputLevel - 1 })
      expectRejected(await infer(low), 422, 'CIPHERTEXT_WRONG_LEVEL')
    }
    const halfScale = keys.encryptSerialized(new Float64Array(8), {
      level: card.he.inputLevel,
      scale: 2 ** (card.he.scaleBits - 1),
    })
    expectRejected(await infer(halfScale), 422, 'CIPHERTEXT_WRONG_SCALE')
    // Transparent: an uncompressed, non-seeded ciphertext whose second polynomial is zeroed.
    const ciphertext = keys.encrypt(new Float64Array(8), { level: card.he.inputLevel })
    const plainBytes = saveCiphertext(ctx, ciphertext, 'none')
    ciphertext.delete()
    const polynomialBytes = card.he.polyModulusDegree * (card.he.inputLevel + 1) * 8
    plainBytes.fill(0, plainBytes.length - polynomialBytes)
    expectRejected(await infer(plainBytes), 422, 'CIPHERTEXT_TRANSPARENT')
  })

  it('rejects random bytes as keys and keys missing a required step', async () => {
    const bundle = keys.evaluationKeyBundle()
    const relin: Record<string, Uint8Array> = bundle.relinKeys
      ? { relinKeys: bundle.relinKeys }
      : {}
    expectRejected(
      await uploadKeys({ galoisKeys: randomBytes(5000), ...relin }),
      400,
      'KEYS_MALFORMED',
    )
    expectRejected(
      await uploadKeys({ galoisKeys: bundle.galoisKeys.slice(0, 1000), ...relin }),
      400,
      'KEYS_MALFORMED',
    )
    const fewer = createClientKeys(ctx, {
      galoisSteps: card.he.galoisSteps.slice(1),
      relin: card.he.needsRelinKeys,
    })
    try {
      expectRejected(
        await uploadKeys({ galoisKeys: fewer.evaluationKeyBundle().galoisKeys, ...relin }),
        422,
        'KEYS_MISSING_STEPS',
      )
    } finally {
      fewer.delete()
    }
  })

  it('rejects huge bodies with BODY_TOO_LARGE', async () => {
    const limits = uploadLimitsFor(card)
    expectRejected(await infer(new Uint8Array(limits.ciphertextBytes + 1)), 413, 'BODY_TOO_LARGE')
    expectRejected(await infer(new Uint8Array(32 * 1024 * 1024)), 413, 'BODY_TOO_LARGE')
    expectRejected(
      await uploadKeys({ galoisKeys: new Uint8Array(limits.galoisKeyBytes + 1) }),
      413,
      'BODY_TOO_LARGE',
    )
  })

  it('rejects wrong content types and malformed multipart', async () => {
    const post = (body: BodyInit, contentType: string) =>
      fetch(`${test.url}/v1/models/${card.id}/infer`, {
        method: 'POST',
        body,
        headers: { 'content-type': contentType },
      }).then(answer)
    expectRejected(
      await post(validInput as Uint8Array<ArrayBuffer>, 'application/octet-stream'),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    )
    expectRejected(
      await post(JSON.stringify({ keyId, input: 'AAAA' }), 'application/json'),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    )
    expectRejected(
      await post('keyId=x&input=y', 'application/x-www-form-urlencoded'),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    )
    expectRejected(
      await post(randomBytes(3000) as Uint8Array<ArrayBuffer>, 'multipart/form-data; boundary=zzz'),
      400,
      'MULTIPART_MALFORMED',
    )
    expectRejected(
      await post(
        '--zzz\r\nContent-Disposition: form-data; name="keyId"\r\n\r\n',
        'multipart/form-data; boundary=zzz',
      ),
      400,
      'MULTIPART_MALFORMED',
    )
  })

  it('still answers health 200 and serves a valid query afterwards', async () => {
    expect((await fetch(`${test.url}/v1/health`)).status).toBe(200)
    expect((await infer(validInput)).status).toBe(200)
  })
})
