/**
 * The demo page in a real browser (Debian's Chromium, headless, through playwright-core) against the
 * service as `npm start` runs it with its default settings: real held-out MNIST digits painted on
 * #pad are predicted under encryption; every request the page makes is recorded and checked to carry
 * nothing but evaluation keys and ciphertexts (never pixels); the keys are deleted when the page
 * closes; and the same page works from another origin once the service lists it in CORS_ORIGINS.
 * Screenshots go to test-artifacts/browser/.
 */
import { cp, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Page, Route } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { preprocessInput } from '../../client/preprocess.ts'
import type { ModelCard } from '../../core/card.ts'
import { parseSealHeader } from '../../core/wire/seal-header.ts'
import { loadMnist } from '../../training/data/mnist.ts'
import {
  launchChromium,
  parseMultipart,
  startNpmService,
  startStaticServer,
  type NpmStartService,
} from './browser-support.ts'

const ARTIFACTS = join('test-artifacts', 'browser')
const DIGITS = 5

interface Recorded {
  method: string
  url: string
  contentType: string
  body: Buffer | null
}

/**
 * Records every request of `page` with its body. Interception (page.route) is what gives the bodies
 * of multipart uploads with Blob parts; the request then continues unchanged.
 */
async function record(page: Page, into: Recorded[]): Promise<void> {
  await page.route('**/*', async (route: Route) => {
    const request = route.request()
    into.push({
      method: request.method(),
      url: request.url(),
      contentType: request.headers()['content-type'] ?? '',
      body: request.postDataBuffer(),
    })
    await route.continue()
  })
}

/** Paints a 28x28 image on the pad's 2D context, 10x10 canvas pixels per image pixel. */
async function paintDigit(page: Page, pixels: number[]): Promise<void> {
  await page.evaluate((values) => {
    const canvas = document.getElementById('pad') as HTMLCanvasElement
    const context = canvas.getContext('2d')!
    const scale = canvas.width / 28
    context.fillStyle = '#000'
    context.fillRect(0, 0, canvas.width, canvas.height)
    values.forEach((value, i) => {
      const level = Math.round(value * 255)
      context.fillStyle = `rgb(${level},${level},${level})`
      context.fillRect((i % 28) * scale, Math.floor(i / 28) * scale, scale, scale)
    })
  }, pixels)
}

async function predictOnPage(page: Page): Promise<string> {
  await page.click('#predict')
  await page.waitForSelector('#status[data-state="ready"], #status[data-state="error"]', {
    timeout: 90_000,
    state: 'attached',
  })
  await page.waitForFunction(
    () => document.getElementById('status')?.dataset.state !== 'busy',
    undefined,
    { timeout: 90_000 },
  )
  const state = await page.getAttribute('#status', 'data-state')
  if (state !== 'ready') throw new Error(`prediction failed: ${await page.textContent('#status')}`)
  return (await page.getAttribute('#result', 'data-label'))!
}

async function waitForState(page: Page, state: string): Promise<void> {
  await page.waitForFunction(
    (wanted) => {
      const current = document.getElementById('status')?.dataset.state
      if (current === 'error' && wanted !== 'error')
        throw new Error(document.getElementById('status')?.textContent ?? 'error')
      return current === wanted
    },
    state,
    { timeout: 90_000 },
  )
}

/**
 * Byte and text forms the digit's values would take in a request if the page leaked them: its 8-bit
 * pixels, float32 / float64 encodings of a run of raw and of preprocessed (pooled) values, and their
 * decimal text.
 */
function plaintextForms(raw: number[], card: ModelCard): Buffer[] {
  const pooled = Array.from(preprocessInput(card.input.preprocessing, raw, card.input.rawSize))
  // The six consecutive values with the most ink (a distinctive run to look for).
  const runOf = (values: number[]) => {
    let best = 0
    const ink = (i: number) => values.slice(i, i + 6).reduce((sum, v) => sum + v, 0)
    for (let i = 0; i + 6 <= values.length; i++) if (ink(i) > ink(best)) best = i
    return values.slice(best, best + 6)
  }
  const forms: Buffer[] = []
  for (const run of [runOf(raw), runOf(pooled)]) {
    expect(run).toHaveLength(6)
    forms.push(
      Buffer.from(Float64Array.from(run).buffer),
      Buffer.from(Float32Array.from(run).buffer),
    )
    forms.push(Buffer.from(run.map((value) => String(value)).join(',')))
    forms.push(Buffer.from(run.map((value) => value.toFixed(3)).join(',')))
  }
  forms.push(Buffer.from(Uint8Array.from(runOf(raw).map((value) => Math.round(value * 255)))))
  return forms
}

/**
 * Every request is one of: a GET without body; POST /v1/keys with modelId + Galois/relinearization
 * keys; POST /v1/models/{id}/infer with keyId + one ciphertext; DELETE /v1/keys/{id}. Every uploaded
 * file is a SEAL serialization. Returns the uploaded files.
 */
function checkRequests(requests: Recorded[], serviceUrl: string, pageUrl: string): Buffer[] {
  const uploads: Buffer[] = []
  for (const request of requests) {
    const url = new URL(request.url)
    expect([serviceUrl, pageUrl]).toContain(url.origin)
    const where = `${request.method} ${url.pathname}`
    if (request.method === 'GET') {
      expect(request.body, where).toBeNull()
      // The API is asked nothing in the URL (the page's own address may carry ?server=).
      if (url.origin === serviceUrl && url.pathname.startsWith('/v1/'))
        expect(url.search, where).toBe('')
      continue
    }
    if (request.method === 'DELETE') {
      expect(url.pathname, where).toMatch(/^\/v1\/keys\/[A-Za-z0-9_-]+$/)
      continue
    }
    expect(request.method, where).toBe('POST')
    const parts = parseMultipart(request.body!, request.contentType)
    const files = parts.filter((part) => part.filename !== undefined)
    const fields = parts.filter((part) => part.filename === undefined)
    if (url.pathname === '/v1/keys') {
      expect(fields.map((part) => part.name)).toEqual(['modelId'])
      expect(files.map((part) => part.name).sort()).toEqual(expect.arrayContaining(['galoisKeys']))
      for (const file of files) expect(['galoisKeys', 'relinKeys']).toContain(file.name)
    } else {
      expect(url.pathname, where).toMatch(/^\/v1\/models\/[^/]+\/infer$/)
      expect(fields.map((part) => part.name)).toEqual(['keyId'])
      expect(fields[0].data.toString()).toMatch(/^[A-Za-z0-9_-]{16,}$/)
      expect(files.map((part) => part.name)).toEqual(['input'])
    }
    for (const file of files) {
      // A SEAL object: magic, version and a declared size that matches.
      const header = parseSealHeader(new Uint8Array(file.data))
      expect(header.declaredBytes).toBe(file.data.length)
      uploads.push(file.data)
    }
  }
  return uploads
}

describe('the demo page in Chromium, served by npm start', () => {
  let service: NpmStartService
  let browser: Awaited<ReturnType<typeof launchChromium>>
  let card: ModelCard
  let digits: Array<{ row: number; label: number; pixels: number[] }>
  const requests: Recorded[] = []
  const correctRows: number[] = []

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true })
    ;[service, browser] = await Promise.all([startNpmService(), launchChromium()])
    card = JSON.parse(await readFile('models/mnist-dp/card.json', 'utf8')) as ModelCard
    const { indices } = JSON.parse(await readFile('models/mnist-dp/test-indices.json', 'utf8')) as {
      indices: number[]
    }
    const mnist = loadMnist()
    // Five held-out digits spread over the split (a fixed choice, so the run is reproducible).
    digits = Array.from({ length: DIGITS }, (_, k) => {
      const row = indices[Math.floor((k * indices.length) / DIGITS) + 3]
      return {
        row,
        label: mnist.labels[row],
        pixels: Array.from(
          mnist.inputs.subarray(row * 784, (row + 1) * 784),
          (v) => Math.round(v * 255) / 255,
        ),
      }
    })
  })
  afterAll(async () => {
    await browser?.close()
    await service?.stop()
  })

  it('predicts at least 4 of 5 held-out digits on ciphertexts, and no request carries a pixel', async () => {
    const page = await browser.context.newPage()
    const problems: string[] = []
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text())
    })
    page.on('pageerror', (error) => problems.push(error.message))
    await record(page, requests)
    await page.goto(`${service.url}/`)
    await waitForState(page, 'idle')
    // The catalog: the default model is a DP one, selected, and marked.
    expect(await page.inputValue('#model')).toBe('mnist-dp')
    expect(await page.textContent('.model-tile[aria-pressed="true"]')).toContain('DP epsilon=3.00')
    // npm start serves only models with a DP guarantee (SERVE_NON_PRIVATE_MODELS is off).
    expect(await page.textContent('#catalog')).not.toContain('NON-PRIVATE')
    await page.click('#connect')
    await waitForState(page, 'ready')
    await page.screenshot({ path: join(ARTIFACTS, 'connected.png'), fullPage: true })

    const predicted: string[] = []
    for (const [k, digit] of digits.entries()) {
      await paintDigit(page, digit.pixels)
      const label = await predictOnPage(page)
      predicted.push(label)
      if (label === String(digit.label)) correctRows.push(digit.row)
      await page.screenshot({
        path: join(ARTIFACTS, `digit-${k}-row-${digit.row}.png`),
        fullPage: true,
      })
    }
    const correct = predicted.filter((label, k) => label === String(digits[k].label)).length
    expect(
      correct,
      `predicted ${predicted.join(',')} for ${digits.map((d) => d.label).join(',')}`,
    ).toBeGreaterThanOrEqual(4)
    // Steps and their times are shown.
    for (const step of ['load-seal', 'make-keys', 'upload-keys', 'encrypt', 'server', 'decrypt'])
      expect(await page.getAttribute(`#steps [data-step="${step}"]`, 'data-state')).toBe('done')

    // A blank pad is refused on the page (nothing is sent).
    await page.click('#clear')
    expect(await page.getAttribute('#result', 'data-label')).toBeNull()
    const before = requests.length
    await page.click('#predict')
    await waitForState(page, 'error')
    expect(await page.textContent('#status')).toContain('The pad is empty')
    expect(requests.length).toBe(before)

    // The test-image button: a held-out image from the service (a GET), predicted like a drawing.
    await page.click('#sample')
    await page.waitForFunction(() => document.getElementById('status')?.dataset.state !== 'busy')
    expect(await page.textContent('#sample-info')).toMatch(/Held-out test image \d+ of mnist/)
    expect(card.labels).toContain(await predictOnPage(page))
    await page.screenshot({ path: join(ARTIFACTS, 'demo.png'), fullPage: true })

    // Positive control: the forms are found where a leaking page would put the pixels.
    const leaks = [
      Buffer.from(Float64Array.from(digits[0].pixels).buffer),
      Buffer.from(Float32Array.from(digits[0].pixels).buffer),
      Buffer.from(JSON.stringify({ input: digits[0].pixels })),
      Buffer.from(Uint8Array.from(digits[0].pixels.map((value) => Math.round(value * 255)))),
    ]
    const forms = plaintextForms(digits[0].pixels, card)
    for (const leak of leaks) expect(forms.some((form) => leak.includes(form))).toBe(true)

    const uploads = checkRequests(requests, service.url, service.url)
    // One key upload, one query per digit, one for the test image.
    expect(
      uploads.length,
      requests.map((r) => `${r.method} ${new URL(r.url).pathname}`).join('\n'),
    ).toBeGreaterThanOrEqual(1 + DIGITS + 1)
    for (const digit of digits)
      for (const form of plaintextForms(digit.pixels, card))
        for (const upload of uploads) expect(upload.includes(form)).toBe(false)
    expect(problems).toEqual([])
    await page.close({ runBeforeUnload: true })
  })

  it('explains an unknown model and keys gone from the service, and fits a phone', async () => {
    const page = await browser.context.newPage()
    await page.setViewportSize({ width: 390, height: 844 })
    await page.goto(`${service.url}/`)
    await waitForState(page, 'idle')
    // A phone: the page is as wide as the screen (viewport meta tag), the pad fits in it.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390)
    const pad = (await page.locator('#pad').boundingBox())!
    expect(pad.x + pad.width).toBeLessThanOrEqual(390)
    await page.screenshot({ path: join(ARTIFACTS, 'phone.png'), fullPage: true })

    await page.fill('#model', 'no-such-model')
    await page.click('#connect')
    await waitForState(page, 'error')
    expect(await page.textContent('#status')).toContain("the service has no model 'no-such-model'")

    await page.fill('#model', 'mnist-dp')
    await page.click('#connect')
    await waitForState(page, 'ready')
    // The service loses the keys (expiry, a sweep): the next prediction says what to do.
    for (const name of await readdir(service.keysDir))
      await rm(join(service.keysDir, name), { recursive: true, force: true })
    await paintDigit(page, digits[0].pixels)
    await page.click('#predict')
    await waitForState(page, 'error')
    expect(await page.textContent('#status')).toContain('press Connect to make new ones')
    expect(await page.getAttribute('#result', 'data-label')).toBeNull()
    await page.close()
  })

  it('deletes the keys on the service when the page is closed, left or reloaded', async () => {
    const keyFolders = async () =>
      (await readdir(service.keysDir)).filter((name) => !name.startsWith('.'))
    for (const leave of ['close', 'navigate', 'reload'] as const) {
      const page = await browser.context.newPage()
      await page.goto(`${service.url}/`)
      await waitForState(page, 'idle')
      const before = new Set(await keyFolders())
      await page.click('#connect')
      await waitForState(page, 'ready')
      const uploaded = (await keyFolders()).filter((name) => !before.has(name))
      expect(uploaded, leave).toHaveLength(1)
      if (leave === 'close') await page.close({ runBeforeUnload: true })
      if (leave === 'navigate') await page.goto('about:blank')
      if (leave === 'reload') await page.reload()
      const deadline = Date.now() + 10_000
      while ((await keyFolders()).includes(uploaded[0]) && Date.now() < deadline)
        await new Promise((done) => setTimeout(done, 200))
      expect(await keyFolders(), leave).not.toContain(uploaded[0])
      if (leave !== 'close') await page.close()
    }
  })

  it('connects to a service with AUTH_TOKEN once the token field holds the token, never in a URL', async () => {
    const token = 'demo-token-0123456789abcdef'
    const modelsDir = await mkdtemp(join(tmpdir(), 'privinfer-token-models-'))
    await cp(join('models', 'mnist-dp'), join(modelsDir, 'mnist-dp'), { recursive: true })
    const tokenService = await startNpmService({
      AUTH_TOKEN: token,
      MODELS_DIR: modelsDir,
      WORKERS: '1',
    })
    const page = await browser.context.newPage()
    try {
      const seen: Recorded[] = []
      await record(page, seen)
      await page.goto(`${tokenService.url}/`)
      await waitForState(page, 'error')
      expect(await page.textContent('#status')).toMatch(/token|UNAUTHORIZED/i)
      await page.fill('#token', token)
      await page.click('#connect')
      await waitForState(page, 'ready')
      expect(seen.some((request) => request.url.includes(token))).toBe(false)
    } finally {
      await page.close()
      await tokenService.stop()
      await rm(modelsDir, { recursive: true, force: true })
    }
  })

  describe('from another origin', () => {
    let page: Page
    let staticSite: Awaited<ReturnType<typeof startStaticServer>>
    let siteDir: string
    beforeAll(async () => {
      // The page as the service serves it, copied to a plain static server on another port.
      siteDir = await mkdtemp(join(tmpdir(), 'privinfer-site-'))
      await cp(join('web', 'dist'), siteDir, { recursive: true })
      staticSite = await startStaticServer(siteDir)
    })
    afterAll(async () => {
      await page?.close()
      await staticSite?.close()
      await rm(siteDir, { recursive: true, force: true })
    })

    it('says CORS_ORIGINS is needed when the service does not allow the origin', async () => {
      page = await browser.context.newPage()
      await page.goto(`${staticSite.url}/?server=${encodeURIComponent(service.url)}`)
      await waitForState(page, 'error')
      expect(await page.textContent('#status')).toContain('CORS_ORIGINS')
      await page.close()
    })

    it('works once the service lists the origin in CORS_ORIGINS', async () => {
      const modelsDir = await mkdtemp(join(tmpdir(), 'privinfer-cors-models-'))
      await cp(join('models', 'mnist-dp'), join(modelsDir, 'mnist-dp'), { recursive: true })
      const corsService = await startNpmService({
        CORS_ORIGINS: staticSite.url,
        MODELS_DIR: modelsDir,
        WORKERS: '1',
      })
      try {
        page = await browser.context.newPage()
        const seen: Recorded[] = []
        await record(page, seen)
        await page.goto(`${staticSite.url}/?server=${encodeURIComponent(corsService.url)}`)
        await waitForState(page, 'idle')
        await page.click('#connect')
        await waitForState(page, 'ready')
        const digit = digits.find((candidate) => correctRows.includes(candidate.row)) ?? digits[0]
        await paintDigit(page, digit.pixels)
        expect(await predictOnPage(page)).toBe(String(digit.label))
        await page.screenshot({ path: join(ARTIFACTS, 'cross-origin.png'), fullPage: true })
        const uploads = checkRequests(seen, corsService.url, staticSite.url)
        for (const form of plaintextForms(digit.pixels, card))
          for (const upload of uploads) expect(upload.includes(form)).toBe(false)
      } finally {
        await page?.close()
        await corsService.stop()
        await rm(modelsDir, { recursive: true, force: true })
      }
    })
  })
})
