/**
 * Browser demo: draw a digit, encrypt it in the page, send the ciphertext, decrypt the answer here.
 * The secret key never leaves this page. Serve web/dist/ (e.g. `npx serve web/dist`) and start the
 * service with CORS_ORIGINS set to the page's origin.
 */
import { PrivinferClient, type PrivinferSession } from '../client/index.ts'

const SIDE = 28
const CANVAS_SCALE = 10

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T
const status = (text: string) => {
  $('status').textContent = text
}

const canvas = $<HTMLCanvasElement>('pad')
canvas.width = canvas.height = SIDE * CANVAS_SCALE
const pen = canvas.getContext('2d', { willReadFrequently: true })!
const clear = () => {
  pen.fillStyle = 'black'
  pen.fillRect(0, 0, canvas.width, canvas.height)
}
clear()
let drawing = false
canvas.addEventListener('pointerdown', () => (drawing = true))
window.addEventListener('pointerup', () => (drawing = false))
canvas.addEventListener('pointermove', (event) => {
  if (!drawing) return
  pen.fillStyle = 'white'
  pen.beginPath()
  pen.arc(event.offsetX, event.offsetY, CANVAS_SCALE * 1.2, 0, 2 * Math.PI)
  pen.fill()
})

/** 28x28 intensities in [0, 1]: the mean of each 10x10 block of the canvas (red channel). */
function pixels(): Float64Array {
  const image = pen.getImageData(0, 0, canvas.width, canvas.height).data
  const out = new Float64Array(SIDE * SIDE)
  for (let y = 0; y < canvas.height; y++) {
    for (let x = 0; x < canvas.width; x++) {
      out[Math.floor(y / CANVAS_SCALE) * SIDE + Math.floor(x / CANVAS_SCALE)] +=
        image[4 * (y * canvas.width + x)] / 255
    }
  }
  return out.map((v) => v / (CANVAS_SCALE * CANVAS_SCALE))
}

let session: PrivinferSession | undefined

$('connect').addEventListener('click', async () => {
  try {
    await session?.close()
    status('loading SEAL and making keys (the secret key stays in this page)...')
    const client = await PrivinferClient.create({ baseUrl: $<HTMLInputElement>('server').value })
    const models = await client.listModels()
    const modelId = $<HTMLInputElement>('model').value || models[0]?.id
    session = await client.openSession(modelId)
    status(
      `session open for ${modelId}; keys expire ${session.expiresAt}. Draw a digit and press Predict.`,
    )
  } catch (error) {
    status(`error: ${(error as Error).message}`)
  }
})

$('predict').addEventListener('click', async () => {
  if (!session) return status('connect first')
  try {
    const started = performance.now()
    const prediction = await session.infer(pixels())
    const bars = prediction.probabilities.map(
      (p, i) => `${session!.card.labels[i]}: ${'#'.repeat(Math.round(p * 40))} ${p.toFixed(3)}`,
    )
    $('result').textContent =
      `label ${prediction.labelName} in ${Math.round(performance.now() - started)} ms\n${bars.join('\n')}`
  } catch (error) {
    status(`error: ${(error as Error).message}`)
  }
})

$('clear').addEventListener('click', clear)
window.addEventListener('beforeunload', () => void session?.close())
