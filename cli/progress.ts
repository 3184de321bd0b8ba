/**
 * A progress bar on stderr (so stdout stays one JSON object with --json). Silent when stderr is not a
 * TTY unless PRIVINFER_PROGRESS=1, in which case it prints a line every ~5% instead of redrawing.
 */
export interface Progress {
  tick(done: number, fields?: Record<string, string | number>): void
  finish(fields?: Record<string, string | number>): void
}

export function createProgress(label: string, total: number): Progress {
  const tty = Boolean(process.stderr.isTTY)
  const lines = process.env.PRIVINFER_PROGRESS === '1' || !tty
  const started = Date.now()
  let lastPrinted = -1
  const render = (done: number, fields: Record<string, string | number> = {}) => {
    const fraction = total > 0 ? Math.min(1, done / total) : 1
    const width = 24
    const filled = Math.round(fraction * width)
    const elapsed = (Date.now() - started) / 1000
    const eta = fraction > 0 ? elapsed / fraction - elapsed : 0
    const extra = Object.entries(fields)
      .map(([k, v]) => `${k} ${typeof v === 'number' ? formatNumber(v) : v}`)
      .join('  ')
    return `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${elapsed.toFixed(0)}s eta ${eta.toFixed(0)}s ${extra}`
  }
  return {
    tick(done, fields) {
      if (lines) {
        const step = Math.floor((done / Math.max(1, total)) * 20)
        if (step === lastPrinted) return
        lastPrinted = step
        process.stderr.write(render(done, fields) + '\n')
      } else {
        process.stderr.write('\r' + render(done, fields) + '\x1b[K')
      }
    },
    finish(fields) {
      process.stderr.write(
        (lines ? '' : '\r') + render(total, fields) + (lines ? '\n' : '\x1b[K\n'),
      )
    },
  }
}

function formatNumber(value: number): string {
  if (Number.isInteger(value)) return String(value)
  return Math.abs(value) >= 100 ? value.toFixed(1) : value.toPrecision(4)
}
