/**
 * A small SVG line-chart writer for the docs/ plots (accuracy vs epsilon, ROC curves): linear or
 * log axes, ticks, labelled series with markers, a legend. No dependencies; output is a string.
 */
export interface Series {
  name: string
  points: Array<[number, number]>
  /** CSS color; default from a fixed palette. */
  color?: string
  dashed?: boolean
  markers?: boolean
}

export interface Axis {
  label: string
  scale: 'linear' | 'log'
  min: number
  max: number
  ticks: number[]
  /** Tick label; default String(value). */
  format?: (value: number) => string
}

export interface ChartSpec {
  title: string
  x: Axis
  y: Axis
  series: Series[]
  width?: number
  height?: number
  /** Legend corner. */
  legend?: 'bottom-right' | 'top-left'
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#7f7f7f']

/** The plot area inside the margins and the projection of data values onto it, pixels. */
interface ChartFrame {
  width: number
  height: number
  margin: { left: number; right: number; top: number; bottom: number }
  plotWidth: number
  plotHeight: number
  px(value: number): number
  py(value: number): number
}

export function renderLineChart(spec: ChartSpec): string {
  const frame = chartFrame(spec)
  const { width, height } = frame
  return (
    [
      `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
      `<rect width="${width}" height="${height}" fill="white"/>`,
      `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(spec.title)}</text>`,
      ...gridAndAxes(spec, frame),
      ...seriesLines(spec, frame),
      ...legend(spec, frame),
      '</svg>',
    ].join('\n') + '\n'
  )
}

function chartFrame(spec: ChartSpec): ChartFrame {
  const width = spec.width ?? 640
  const height = spec.height ?? 420
  const margin = { left: 70, right: 20, top: 40, bottom: 55 }
  const plotWidth = width - margin.left - margin.right
  const plotHeight = height - margin.top - margin.bottom
  const project = (axis: Axis, value: number, length: number) => {
    const t =
      axis.scale === 'log'
        ? (Math.log10(value) - Math.log10(axis.min)) / (Math.log10(axis.max) - Math.log10(axis.min))
        : (value - axis.min) / (axis.max - axis.min)
    return Math.max(0, Math.min(1, t)) * length
  }
  return {
    width,
    height,
    margin,
    plotWidth,
    plotHeight,
    px: (value) => margin.left + project(spec.x, value, plotWidth),
    py: (value) => margin.top + plotHeight - project(spec.y, value, plotHeight),
  }
}

/** Grid lines and tick labels of both axes, the plot border and the axis labels. */
function gridAndAxes(spec: ChartSpec, frame: ChartFrame): string[] {
  const { height, margin, plotWidth, plotHeight, px, py } = frame
  const parts: string[] = []
  for (const tick of spec.x.ticks) {
    const x = px(tick).toFixed(1)
    parts.push(
      `<line x1="${x}" y1="${margin.top}" x2="${x}" y2="${margin.top + plotHeight}" stroke="#e5e5e5"/>`,
    )
    parts.push(
      `<text x="${x}" y="${margin.top + plotHeight + 18}" text-anchor="middle">${escapeXml((spec.x.format ?? String)(tick))}</text>`,
    )
  }
  for (const tick of spec.y.ticks) {
    const y = py(tick).toFixed(1)
    parts.push(
      `<line x1="${margin.left}" y1="${y}" x2="${margin.left + plotWidth}" y2="${y}" stroke="#e5e5e5"/>`,
    )
    parts.push(
      `<text x="${margin.left - 8}" y="${Number(y) + 4}" text-anchor="end">${escapeXml((spec.y.format ?? String)(tick))}</text>`,
    )
  }
  parts.push(
    `<rect x="${margin.left}" y="${margin.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#333"/>`,
  )
  parts.push(
    `<text x="${margin.left + plotWidth / 2}" y="${height - 12}" text-anchor="middle">${escapeXml(spec.x.label)}</text>`,
  )
  parts.push(
    `<text transform="translate(18 ${margin.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">${escapeXml(spec.y.label)}</text>`,
  )
  return parts
}

/** One path per series, with its markers. */
function seriesLines(spec: ChartSpec, frame: ChartFrame): string[] {
  const { px, py } = frame
  const parts: string[] = []
  spec.series.forEach((series, index) => {
    const color = series.color ?? PALETTE[index % PALETTE.length]
    const path = series.points
      .map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${px(x).toFixed(1)},${py(y).toFixed(1)}`)
      .join(' ')
    parts.push(
      `<path d="${path}" fill="none" stroke="${color}" stroke-width="2"${series.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
    )
    if (series.markers) {
      for (const [x, y] of series.points)
        parts.push(
          `<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3.5" fill="${color}"/>`,
        )
    }
  })
  return parts
}

function legend(spec: ChartSpec, frame: ChartFrame): string[] {
  const { margin, plotWidth, plotHeight } = frame
  const parts: string[] = []
  // About 6.6 px per character at font-size 12, plus the 28 px line sample.
  const legendWidth = 40 + 6.6 * Math.max(...spec.series.map((series) => series.name.length))
  const legendX =
    spec.legend === 'top-left' ? margin.left + 12 : margin.left + plotWidth - legendWidth
  const legendY =
    spec.legend === 'top-left'
      ? margin.top + 14
      : margin.top + plotHeight - 14 - 18 * (spec.series.length - 1)
  spec.series.forEach((series, index) => {
    const color = series.color ?? PALETTE[index % PALETTE.length]
    const y = legendY + 18 * index
    parts.push(
      `<line x1="${legendX}" y1="${y - 4}" x2="${legendX + 22}" y2="${y - 4}" stroke="${color}" stroke-width="2"${series.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
    )
    parts.push(`<text x="${legendX + 28}" y="${y}">${escapeXml(series.name)}</text>`)
  })
  return parts
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}
