/**
 * The HE-vs-plaintext figure (`privinfer evaluate --plot out.svg`, `node cli/he-error-figure.ts`):
 * left, the distribution of |HE output - onnxruntime output| over every output of every test input
 * (log-scale bins, one line per model, the model's tolerance dashed); right, accuracy on the same
 * inputs in plaintext (onnxruntime) and under HE, per model. Pure: data in, SVG text out.
 */
import { renderLineChart, type Series } from '../training/plot/svg-chart.ts'

export interface ModelErrors {
  id: string
  /** Test inputs evaluated. */
  examples: number
  plainAccuracy: number
  heAccuracy: number
  /** |HE - onnxruntime| of every output of every input. */
  absErrors: ArrayLike<number>
  /** The bound the compiler derives for max |HE - plain| (core/card.ts HeComparison.tolerance). */
  tolerance: number
}

/** |he[r][j] - plain[r][j]| for every output j of every input r, flattened. */
export function absoluteErrors(
  he: ReadonlyArray<ArrayLike<number>>,
  plain: ReadonlyArray<ArrayLike<number>>,
): Float64Array {
  const errors: number[] = []
  he.forEach((row, r) => {
    for (let j = 0; j < row.length; j++) errors.push(Math.abs(row[j] - plain[r][j]))
  })
  return Float64Array.from(errors)
}

/** Histogram bins: two per decade from 1e-10 to 1e1; an error below 1e-10 (or 0) counts in the first. */
const LOG_MIN = -10
const LOG_MAX = 1
const BINS_PER_DECADE = 2

/** [bin centre, fraction of the errors in the bin] for every bin, in order. */
export function errorHistogram(absErrors: ArrayLike<number>): Array<[number, number]> {
  const bins = (LOG_MAX - LOG_MIN) * BINS_PER_DECADE
  const counts = new Array<number>(bins).fill(0)
  for (let i = 0; i < absErrors.length; i++) {
    const exponent = absErrors[i] > 0 ? Math.log10(absErrors[i]) : LOG_MIN
    const bin = Math.floor((exponent - LOG_MIN) * BINS_PER_DECADE)
    counts[Math.min(bins - 1, Math.max(0, bin))]++
  }
  return counts.map((count, bin) => [
    10 ** (LOG_MIN + (bin + 0.5) / BINS_PER_DECADE),
    absErrors.length === 0 ? 0 : count / absErrors.length,
  ])
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#7f7f7f']
const escapeXml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/** Grouped bars: plaintext and HE accuracy per model, with the values written above. */
function renderAccuracyBars(models: readonly ModelErrors[], width: number, height: number): string {
  const margin = { left: 60, right: 70, top: 66, bottom: 100 }
  const plotWidth = width - margin.left - margin.right
  const plotHeight = height - margin.top - margin.bottom
  // The axis starts below the lowest accuracy so that small differences show; it says where.
  const lowest = Math.min(...models.flatMap((m) => [m.plainAccuracy, m.heAccuracy]))
  const floor = Math.max(0, Math.floor(lowest * 10 - 1) / 10)
  const y = (accuracy: number) =>
    margin.top + plotHeight - ((accuracy - floor) / (1 - floor)) * plotHeight
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">Accuracy: plaintext vs HE</text>`,
  ]
  for (let tick = floor; tick <= 1 + 1e-9; tick += 0.05) {
    const ty = y(tick).toFixed(1)
    parts.push(
      `<line x1="${margin.left}" y1="${ty}" x2="${margin.left + plotWidth}" y2="${ty}" stroke="#e5e5e5"/>`,
      `<text x="${margin.left - 8}" y="${Number(ty) + 4}" text-anchor="end">${Math.round(tick * 100)}%</text>`,
    )
  }
  const group = plotWidth / Math.max(1, models.length)
  const bar = Math.min(38, group / 3)
  models.forEach((model, index) => {
    const centre = margin.left + group * (index + 0.5)
    const bars: Array<[number, string, number]> = [
      [model.plainAccuracy, '#7f7f7f', centre - bar - 2],
      [model.heAccuracy, PALETTE[index % PALETTE.length], centre + 2],
    ]
    for (const [accuracy, color, x] of bars) {
      const top = y(accuracy)
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${top.toFixed(1)}" width="${bar.toFixed(1)}" height="${(margin.top + plotHeight - top).toFixed(1)}" fill="${color}"/>`,
        `<text x="${(x + bar / 2).toFixed(1)}" y="${(top - 4).toFixed(1)}" text-anchor="middle" font-size="10">${(100 * accuracy).toFixed(1)}</text>`,
      )
    }
    parts.push(
      `<text transform="translate(${(centre - bar).toFixed(1)} ${margin.top + plotHeight + 14}) rotate(25)" font-size="11">${escapeXml(`${model.id} (n=${model.examples})`)}</text>`,
    )
  })
  parts.push(
    `<rect x="${margin.left}" y="${margin.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#333"/>`,
    `<rect x="${margin.left}" y="34" width="10" height="10" fill="#7f7f7f"/>`,
    `<text x="${margin.left + 14}" y="43">onnxruntime (left bar)</text>`,
    `<rect x="${margin.left + 170}" y="34" width="10" height="10" fill="${PALETTE[0]}"/>`,
    `<text x="${margin.left + 184}" y="43">HE, in the model's colour (right bar)</text>`,
    '</svg>',
  )
  return parts.join('\n')
}

/** The two panels side by side in one SVG document. */
export function renderHeErrorFigure(models: readonly ModelErrors[]): string {
  const series: Series[] = []
  models.forEach((model, index) => {
    const color = PALETTE[index % PALETTE.length]
    series.push({ name: model.id, points: errorHistogram(model.absErrors), color, markers: true })
    series.push({
      name: `${model.id} tolerance`,
      points: [
        [model.tolerance, 0],
        [model.tolerance, 1],
      ],
      color,
      dashed: true,
    })
  })
  const histogram = renderLineChart({
    title: '|HE output - onnxruntime output| (every output of every input)',
    x: {
      label: 'absolute error (log scale)',
      scale: 'log',
      min: 10 ** LOG_MIN,
      max: 10 ** LOG_MAX,
      ticks: Array.from({ length: LOG_MAX - LOG_MIN + 1 }, (_, i) => 10 ** (LOG_MIN + i)),
      format: (value) => `1e${Math.round(Math.log10(value))}`,
    },
    y: {
      label: 'fraction of outputs',
      scale: 'linear',
      min: 0,
      max: 1,
      ticks: [0, 0.2, 0.4, 0.6, 0.8, 1],
    },
    series,
    width: 700,
    height: 460,
    legend: 'top-left',
  })
  const bars = renderAccuracyBars(models, 560, 460)
  const inner = (svg: string, x: number) =>
    svg.replace('<svg xmlns="http://www.w3.org/2000/svg"', `<svg x="${x}" y="0"`)
  return [
    '<svg xmlns="http://www.w3.org/2000/svg" width="1260" height="460" viewBox="0 0 1260 460">',
    inner(histogram, 0),
    inner(bars, 700),
    '</svg>',
    '',
  ].join('\n')
}
