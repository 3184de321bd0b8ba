/**
 * The drawing pad (#pad): smooth strokes with the pointer (mouse, pen, touch), and its pixels as the
 * model's raw input. What the page encrypts is always read from the canvas pixels, so a test (or the
 * "test image" button) may paint on its 2D context directly.
 */
import { mnistStyleDigit, resizedTo28 } from '../client/mnist-style.ts'

/** Canvas pixels per 28x28 input pixel. */
export const PAD_SCALE = 10
export const PAD_SIDE = 28 * PAD_SCALE
/** Stroke width in canvas pixels: about 2 input pixels once a digit fills its 20-pixel box. */
const STROKE_WIDTH = 22

export interface Pad {
  clear(): void
  /** True when nothing is drawn (no pixel brighter than the background). */
  isBlank(): boolean
  /** Grayscale canvas pixels in [0, 1], PAD_SIDE x PAD_SIDE, row-major. */
  grayscale(): Float64Array
  /**
   * The 784 raw input values: MNIST-style (box 20x20, centre of mass centred) for models trained on
   * MNIST digits, else the canvas resized to 28x28. Undefined when the pad is blank.
   */
  input(mnistStyle: boolean): Float64Array | undefined
  /** Paints a 28x28 image (values in [0, 1]) as PAD_SCALE-pixel squares. */
  paint(pixels: ArrayLike<number>): void
  /** Called when the user starts or finishes a stroke. */
  onStroke(listener: () => void): void
}

export function createPad(canvas: HTMLCanvasElement): Pad {
  canvas.width = canvas.height = PAD_SIDE
  const context = canvas.getContext('2d', { willReadFrequently: true })!
  const listeners: Array<() => void> = []
  const clear = () => {
    context.fillStyle = '#000'
    context.fillRect(0, 0, PAD_SIDE, PAD_SIDE)
  }
  clear()

  // Strokes: quadratic curves through the midpoints of successive pointer positions (smooth, no
  // dots), round caps and joins; coalesced events keep fast strokes dense.
  let last: { x: number; y: number } | undefined
  let lastMid: { x: number; y: number } | undefined
  const position = (event: PointerEvent) => {
    const rect = canvas.getBoundingClientRect()
    return {
      x: ((event.clientX - rect.left) * PAD_SIDE) / rect.width,
      y: ((event.clientY - rect.top) * PAD_SIDE) / rect.height,
    }
  }
  const stroke = (
    from: { x: number; y: number },
    via: { x: number; y: number },
    to: { x: number; y: number },
  ) => {
    context.strokeStyle = '#fff'
    context.lineWidth = STROKE_WIDTH
    context.lineCap = 'round'
    context.lineJoin = 'round'
    context.beginPath()
    context.moveTo(from.x, from.y)
    context.quadraticCurveTo(via.x, via.y, to.x, to.y)
    context.stroke()
  }
  canvas.addEventListener('pointerdown', (event) => {
    if (event.button !== 0) return
    canvas.setPointerCapture(event.pointerId)
    last = lastMid = position(event)
    // A tap leaves a round dot.
    stroke(last, last, last)
    event.preventDefault()
  })
  canvas.addEventListener('pointermove', (event) => {
    if (last === undefined) return
    const events = typeof event.getCoalescedEvents === 'function' ? event.getCoalescedEvents() : []
    for (const point of (events.length > 0 ? events : [event]).map(position)) {
      const mid = { x: (last.x + point.x) / 2, y: (last.y + point.y) / 2 }
      stroke(lastMid!, last, mid)
      last = point
      lastMid = mid
    }
  })
  const end = () => {
    if (last === undefined) return
    stroke(lastMid!, last, last)
    last = lastMid = undefined
    for (const listener of listeners) listener()
  }
  canvas.addEventListener('pointerup', end)
  canvas.addEventListener('pointercancel', end)

  const grayscale = () => {
    const rgba = context.getImageData(0, 0, PAD_SIDE, PAD_SIDE).data
    const gray = new Float64Array(PAD_SIDE * PAD_SIDE)
    for (let i = 0; i < gray.length; i++)
      gray[i] = (0.299 * rgba[4 * i] + 0.587 * rgba[4 * i + 1] + 0.114 * rgba[4 * i + 2]) / 255
    return gray
  }

  return {
    clear,
    isBlank: () => grayscale().every((value) => value < 0.02),
    grayscale,
    input(mnistStyle) {
      const gray = grayscale()
      if (gray.every((value) => value < 0.02)) return undefined
      return mnistStyle
        ? mnistStyleDigit(gray, PAD_SIDE, PAD_SIDE)
        : resizedTo28(gray, PAD_SIDE, PAD_SIDE)
    },
    paint(pixels) {
      clear()
      for (let y = 0; y < 28; y++) {
        for (let x = 0; x < 28; x++) {
          const level = Math.round(Math.min(1, Math.max(0, pixels[y * 28 + x])) * 255)
          if (level === 0) continue
          context.fillStyle = `rgb(${level},${level},${level})`
          context.fillRect(x * PAD_SCALE, y * PAD_SCALE, PAD_SCALE, PAD_SCALE)
        }
      }
    },
    onStroke(listener) {
      listeners.push(listener)
    },
  }
}
