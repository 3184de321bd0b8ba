/**
 * The demo page (served by the service at `/`): pick a model, draw a digit (or load a held-out test
 * image), and get a prediction computed on ciphertexts. Everything a model needs (preprocessing,
 * layouts, keys, decoding) comes from its card through the client library; the page only turns the
 * canvas into 784 raw pixels. The secret key never leaves this page.
 *
 * Test interface (kept through redesigns): #server, #model, #token (bearer token, sent only as an
 * Authorization header, never put in the URL), #connect, #pad (what is encrypted is read
 * from its pixels), #predict, #clear, #status[data-state = idle | busy | ready | error],
 * #result[data-label = the last predicted label].
 */
import {
  PrivinferClient,
  PrivinferError,
  type ModelSummary,
  type PrivinferSession,
  type SessionStep,
} from '../client/index.ts'
import { createPad } from './pad.ts'
import { estimateSizes, formatBytes } from './sizes.ts'

type State = 'idle' | 'busy' | 'ready' | 'error'

const STEPS = [
  ['load-seal', 'load SEAL'],
  ['make-keys', 'make keys'],
  ['upload-keys', 'upload keys'],
  ['encrypt', 'encrypt'],
  ['server', 'server'],
  ['decrypt', 'decrypt'],
] as const
type StepId = (typeof STEPS)[number][0]

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T
const serverField = byId<HTMLInputElement>('server')
const modelField = byId<HTMLInputElement>('model')
const tokenField = byId<HTMLInputElement>('token')
const statusLine = byId<HTMLParagraphElement>('status')
const resultBox = byId<HTMLDivElement>('result')
const stepList = byId<HTMLOListElement>('steps')
const catalogBox = byId<HTMLElement>('catalog')
const sampleInfo = byId<HTMLParagraphElement>('sample-info')
const buttons = ['connect', 'predict', 'clear', 'sample'].map((id) => byId<HTMLButtonElement>(id))
const pad = createPad(byId<HTMLCanvasElement>('pad'))

let client: { baseUrl: string; token: string; client: PrivinferClient } | undefined
let session: PrivinferSession | undefined
let models: ModelSummary[] = []
let shownTestImage: { label: string } | undefined
/** Measured sizes per model id, shown on its tile instead of the estimates. */
const measured = new Map<
  string,
  { keysBytes?: number; queryBytes?: number; resultBytes?: number }
>()

function setStatus(state: State, text: string): void {
  statusLine.dataset.state = state
  statusLine.textContent = text
}

function setBusy(busy: boolean): void {
  for (const button of buttons) button.disabled = busy
  serverField.disabled = modelField.disabled = busy
  catalogBox.querySelectorAll('button').forEach((tile) => (tile.disabled = busy))
}

// ---- steps --------------------------------------------------------------------------------
for (const [id, name] of STEPS) {
  const item = document.createElement('li')
  item.dataset.step = id
  item.dataset.state = 'pending'
  item.innerHTML = `<span class="name"></span><span class="time"></span>`
  item.querySelector('.name')!.textContent = name
  stepList.append(item)
}

function stepItem(id: StepId): HTMLLIElement {
  return stepList.querySelector<HTMLLIElement>(`[data-step="${id}"]`)!
}

function resetSteps(ids: readonly StepId[]): void {
  for (const id of ids) {
    const item = stepItem(id)
    item.dataset.state = 'pending'
    item.querySelector('.time')!.textContent = ''
  }
}

function markStep(id: StepId, state: 'running' | 'done', ms?: number, note?: string): void {
  const item = stepItem(id)
  item.dataset.state = state
  item.querySelector('.time')!.textContent =
    state === 'running' ? '…' : (note ?? `${Math.round(ms ?? 0)} ms`)
}

/** The library's step events, and the next step marked running. */
function stepReporter(order: readonly StepId[]): (step: SessionStep) => void {
  return (step) => {
    markStep(step.step, 'done', step.ms)
    const next = order[order.indexOf(step.step) + 1]
    if (next !== undefined) markStep(next, 'running')
  }
}

/** Lets the browser paint the status before synchronous WebAssembly work (key generation). */
const nextFrame = () =>
  new Promise<void>((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)))

// ---- errors ---------------------------------------------------------------------------------
function explain(error: unknown): string {
  if (!(error instanceof PrivinferError)) return `unexpected error: ${(error as Error)?.message}`
  switch (error.code) {
    case 'MODEL_NOT_FOUND':
      return `the service has no model '${modelField.value}'; its models: ${models.map((m) => m.id).join(', ') || 'none listed'}`
    case 'KEY_EXPIRED':
    case 'KEY_NOT_FOUND':
      return 'the keys on the service expired or were deleted: press Connect to make new ones'
    case 'NOT_READY':
      return 'the service is still starting (compiling models): try again in a few seconds'
    case 'RATE_LIMITED':
      return 'too many requests from this page: wait a little and try again'
    default:
      return `${error.message} [${error.code}]`
  }
}

// ---- the catalog ----------------------------------------------------------------------------
function percent(value: number | undefined): string {
  return value === undefined ? '–' : `${(100 * value).toFixed(1)}%`
}

function renderCatalog(): void {
  catalogBox.replaceChildren()
  const datalist = byId<HTMLDataListElement>('model-ids')
  datalist.replaceChildren()
  for (const model of models) {
    const option = document.createElement('option')
    option.value = model.id
    datalist.append(option)

    const tile = document.createElement('button')
    tile.type = 'button'
    tile.className = 'model-tile'
    tile.dataset.model = model.id
    tile.setAttribute('aria-pressed', String(model.id === modelField.value))
    tile.disabled = modelField.disabled
    const line = (text: string, className = 'row') => {
      const span = document.createElement('span')
      span.className = className
      span.textContent = text
      tile.append(span)
      return span
    }
    line(model.title, 'title')
    const badges = line('', 'row')
    const badge = (text: string, kind: string) => {
      const span = document.createElement('span')
      span.className = `badge ${kind}`
      span.textContent = text
      badges.append(span)
    }
    if (model.nonPrivate || model.epsilon === null) badge('NON-PRIVATE', 'nonprivate')
    else badge(`DP epsilon=${model.epsilon.toFixed(2)}, delta=${model.delta}`, 'private')
    if (model.default) badge('default', 'default')
    const accuracy = model.accuracy
    line(
      accuracy
        ? `accuracy: plaintext ${percent(accuracy.plaintext)}, under HE ${percent(accuracy.he)} (${accuracy.testExamples} test examples)`
        : 'accuracy: not measured',
    )
    const he = model.he
    const logQ = he.coeffModulusBits.reduce((sum, bits) => sum + bits, 0)
    line(
      `CKKS N=${model.polyModulusDegree}, log Q=${logQ} (${he.coeffModulusBits.join('+')}), depth ${he.depth}, ${he.galoisSteps.length} Galois keys`,
    )
    const estimate = estimateSizes({ polyModulusDegree: model.polyModulusDegree, ...he })
    const known = measured.get(model.id) ?? {}
    const size = (value: number | undefined, guess: number) =>
      value === undefined ? `≈${formatBytes(guess)}` : formatBytes(value)
    line(
      `keys ${size(known.keysBytes, estimate.keysBytes)}, query ${size(known.queryBytes, estimate.queryBytes)}, result ${size(known.resultBytes, estimate.resultBytes)}`,
    )
    tile.addEventListener('click', () => {
      modelField.value = model.id
      renderCatalog()
      clearResult()
    })
    catalogBox.append(tile)
  }
}

// ---- client, models, session ----------------------------------------------------------------
/** The client for the service field's URL (SEAL is loaded once; the step shows its time). */
async function clientForField(): Promise<PrivinferClient> {
  const baseUrl = serverField.value.trim()
  const token = tokenField.value.trim()
  if (client?.baseUrl === baseUrl && client.token === token) return client.client
  markStep('load-seal', 'running')
  await nextFrame()
  const started = performance.now()
  const created = await PrivinferClient.create({ baseUrl, ...(token ? { token } : {}) })
  markStep('load-seal', 'done', performance.now() - started)
  client = { baseUrl, token, client: created }
  return created
}

async function loadModels(): Promise<void> {
  const current = await clientForField()
  models = await current.listModels()
  // An empty field takes the default model; a name the service lacks stays, and Connect says so.
  if (modelField.value.trim() === '')
    modelField.value = (models.find((model) => model.default) ?? models[0])?.id ?? ''
  renderCatalog()
}

async function closeSession(): Promise<void> {
  const open = session
  session = undefined
  await open?.close().catch(() => undefined)
}

async function connect(): Promise<PrivinferSession> {
  resetSteps(['make-keys', 'upload-keys', 'encrypt', 'server', 'decrypt'])
  const current = await clientForField()
  if (models.length === 0) await loadModels()
  await closeSession()
  const modelId = modelField.value.trim()
  setStatus('busy', `making keys for ${modelId} (the secret key stays in this page)…`)
  markStep('make-keys', 'running')
  await nextFrame()
  const opened = await current.openSession(modelId, {
    onStep: (step) => {
      stepReporter(['make-keys', 'upload-keys'])(step)
      if (step.step === 'make-keys') {
        measured.set(modelId, { ...measured.get(modelId), keysBytes: step.bytes })
        setStatus('busy', `uploading ${formatBytes(step.bytes ?? 0)} of evaluation keys…`)
      }
    },
  })
  session = opened
  renderCatalog()
  const expires = new Date(opened.expiresAt).toLocaleTimeString()
  setStatus(
    'ready',
    `Connected to ${modelId}; keys expire at ${expires}. Draw a digit and press Predict.`,
  )
  return opened
}

function clearResult(): void {
  resultBox.removeAttribute('data-label')
  resultBox.replaceChildren()
}

function showResult(
  prediction: Awaited<ReturnType<PrivinferSession['infer']>>,
  labels: string[],
  ms: number,
): void {
  clearResult()
  const answer = document.createElement('p')
  answer.className = 'answer'
  answer.append('Prediction: ')
  const strong = document.createElement('strong')
  strong.textContent = prediction.labelName
  answer.append(
    strong,
    ` (p=${prediction.probabilities[prediction.label].toFixed(3)}, ${Math.round(ms)} ms)`,
  )
  resultBox.append(answer)
  if (shownTestImage !== undefined) {
    const truth = document.createElement('p')
    truth.className = 'hint'
    truth.textContent = `True label of this test image: ${shownTestImage.label}`
    resultBox.append(truth)
  }
  const bars = document.createElement('div')
  bars.className = 'bars'
  prediction.probabilities.forEach((probability, index) => {
    const name = document.createElement('span')
    name.textContent = labels[index] ?? String(index)
    const bar = document.createElement('span')
    bar.className = 'bar'
    const fill = document.createElement('span')
    fill.style.width = `${(100 * probability).toFixed(1)}%`
    bar.append(fill)
    const value = document.createElement('span')
    value.className = 'value'
    value.textContent = probability.toFixed(3)
    if (index === prediction.label) {
      name.className = 'top'
      value.className = 'value top'
    }
    bars.append(name, bar, value)
  })
  resultBox.append(bars)
  resultBox.dataset.label = prediction.labelName
}

async function predict(): Promise<void> {
  clearResult()
  resetSteps(['encrypt', 'server', 'decrypt'])
  const current =
    session !== undefined && session.modelId === modelField.value.trim() ? session : await connect()
  const mnistStyle = (current.card.data?.dataset ?? 'mnist') === 'mnist'
  if (current.card.input.rawSize !== 784) {
    throw new PrivinferError(
      'INPUT_INVALID',
      `this page draws 28x28 images; model '${current.modelId}' takes ${current.card.input.rawSize} values`,
    )
  }
  const input = pad.input(mnistStyle)
  if (input === undefined) {
    setStatus('error', 'The pad is empty: draw a digit, or load a test image.')
    return
  }
  setStatus('busy', 'encrypting here, computing on the ciphertext at the service, decrypting here…')
  markStep('encrypt', 'running')
  await nextFrame()
  const started = performance.now()
  const modelId = current.modelId
  const prediction = await current.infer(input, {
    onStep: (step) => {
      stepReporter(['encrypt', 'server', 'decrypt'])(step)
      if (step.step === 'encrypt')
        measured.set(modelId, { ...measured.get(modelId), queryBytes: step.bytes })
      if (step.step === 'server')
        measured.set(modelId, { ...measured.get(modelId), resultBytes: step.bytes })
    },
  })
  showResult(prediction, current.card.labels, performance.now() - started)
  renderCatalog()
  setStatus(
    'ready',
    `Predicted ${prediction.labelName} on ciphertexts. Draw another, or load a test image.`,
  )
}

async function loadTestImage(): Promise<void> {
  clearResult()
  const current = await clientForField()
  if (models.length === 0) await loadModels()
  const image = await current.api.testImage(modelField.value.trim())
  pad.paint(image.pixels)
  shownTestImage = { label: image.labelName }
  sampleInfo.textContent = `Held-out test image ${image.row} of ${image.dataset} (true label ${image.labelName}). The service sent it in clear: it is public test data.`
  setStatus(
    session ? 'ready' : 'idle',
    'Test image loaded: press Predict to classify it under encryption.',
  )
}

/** Runs one user action: buttons disabled, status busy, errors explained. */
async function run(busyText: string, action: () => Promise<void>): Promise<void> {
  setBusy(true)
  setStatus('busy', busyText)
  try {
    await action()
  } catch (error) {
    if (
      error instanceof PrivinferError &&
      (error.code === 'KEY_EXPIRED' || error.code === 'KEY_NOT_FOUND')
    )
      await closeSession()
    if (error instanceof PrivinferError && error.code === 'SERVICE_UNREACHABLE') client = undefined
    setStatus('error', explain(error))
  } finally {
    setBusy(false)
  }
}

// ---- wiring ---------------------------------------------------------------------------------
const params = new URLSearchParams(location.search)
serverField.value =
  params.get('server') ??
  (location.protocol.startsWith('http') ? location.origin : 'http://localhost:8080')
if (params.get('model')) modelField.value = params.get('model')!

byId('connect').addEventListener(
  'click',
  () => void run('connecting…', async () => void (await connect())),
)
byId('predict').addEventListener('click', () => void run('preparing…', predict))
byId('sample').addEventListener('click', () => void run('loading a test image…', loadTestImage))
byId('clear').addEventListener('click', () => {
  pad.clear()
  clearResult()
  shownTestImage = undefined
  sampleInfo.textContent = 'Draw a digit, or load a held-out test image.'
})
pad.onStroke(() => {
  shownTestImage = undefined
})
serverField.addEventListener('change', () => {
  void closeSession()
  client = undefined
  models = []
  void run('reading the model list…', async () => {
    await loadModels()
    setStatus('idle', `${models.length} models on this service. Pick one and press Connect.`)
  })
})
modelField.addEventListener('change', () => {
  clearResult()
  renderCatalog()
})
// Keys are deleted when the page goes away: keepalive lets the request finish after unload.
addEventListener('pagehide', () => {
  void session?.close({ keepalive: true }).catch(() => undefined)
  session = undefined
})

void run('reading the model list…', async () => {
  await loadModels()
  setStatus('idle', `${models.length} models on this service. Pick one and press Connect.`)
})
