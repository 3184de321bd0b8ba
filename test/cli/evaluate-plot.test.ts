/**
 * The HE precision figure: histogram bins (cli/he-error-plot.ts) and `privinfer evaluate --plot`.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { absoluteErrors, errorHistogram, renderHeErrorFigure } from '../../cli/he-error-plot.ts'

const run = promisify(execFile)

describe('errorHistogram', () => {
  it('puts each error in its half-decade bin; fractions sum to 1; zero goes to the first bin', () => {
    const histogram = errorHistogram([0, 2e-6, 3e-6, 5e-6, 0.5])
    expect(histogram.reduce((sum, [, fraction]) => sum + fraction, 0)).toBeCloseTo(1, 12)
    // Bins are half a decade wide: [centre / 10^0.25, centre * 10^0.25).
    const fractionAt = (value: number) =>
      histogram.find(([centre]) => value >= centre / 10 ** 0.25 && value < centre * 10 ** 0.25)![1]
    expect(histogram[0][1]).toBeCloseTo(0.2, 12) // the zero
    expect(fractionAt(2e-6)).toBeCloseTo(0.4, 12) // 2e-6 and 3e-6 share [1e-6, 3.16e-6)
    expect(fractionAt(5e-6)).toBeCloseTo(0.2, 12)
    expect(fractionAt(0.5)).toBeCloseTo(0.2, 12)
  })

  it('absoluteErrors flattens |he - plain| over inputs and outputs', () => {
    expect(
      Array.from(
        absoluteErrors(
          [
            [1, 2],
            [3, 4],
          ],
          [
            [1.5, 2],
            [2, 4.25],
          ],
        ),
      ),
    ).toEqual([0.5, 0, 1, 0.25])
  })

  it('draws both panels with every model', () => {
    const svg = renderHeErrorFigure([
      {
        id: 'alpha',
        examples: 10,
        plainAccuracy: 0.9,
        heAccuracy: 0.8,
        absErrors: [1e-4],
        tolerance: 1e-2,
      },
      {
        id: 'beta',
        examples: 10,
        plainAccuracy: 0.95,
        heAccuracy: 0.95,
        absErrors: [1e-5],
        tolerance: 1e-3,
      },
    ])
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true)
    expect(svg).toContain('alpha (n=10)')
    expect(svg).toContain('beta tolerance')
    expect(svg).toContain('>80.0<')
    expect(svg.match(/<svg/g)).toHaveLength(3)
    expect(svg.match(/<\/svg>/g)).toHaveLength(3)
  })
})

describe('privinfer evaluate --plot', () => {
  it('writes the figure for the model it evaluated', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'privinfer-plot-'))
    try {
      const out = join(dir, 'he.svg')
      const { stdout } = await run(
        process.execPath,
        [
          'cli/privinfer.ts',
          'evaluate',
          '--model',
          'mnist-dp',
          '--n',
          '3',
          '--plot',
          out,
          '--json',
        ],
        { maxBuffer: 1 << 24 },
      )
      const result = JSON.parse(stdout) as { heAccuracy: number }
      const svg = await readFile(out, 'utf8')
      expect(svg).toContain('mnist-dp (n=3)')
      expect(svg).toContain(`>${(100 * result.heAccuracy).toFixed(1)}<`)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
