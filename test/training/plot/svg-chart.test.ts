import { describe, expect, it } from 'vitest'
import { renderLineChart } from '../../../training/plot/svg-chart.ts'

describe('renderLineChart', () => {
  it('draws one path per series inside the plot box, log axes mapping decades evenly', () => {
    const svg = renderLineChart({
      title: 'ROC <test>',
      x: { label: 'fpr', scale: 'log', min: 0.001, max: 1, ticks: [0.001, 0.01, 0.1, 1] },
      y: { label: 'tpr', scale: 'linear', min: 0, max: 1, ticks: [0, 0.5, 1] },
      series: [
        {
          name: 'a',
          points: [
            [0.001, 0],
            [1, 1],
          ],
        },
        { name: 'b', points: [[0.01, 0.5]], markers: true },
      ],
      width: 370,
      height: 195,
    })
    expect(svg.startsWith('<svg')).toBe(true)
    expect(svg).toContain('ROC &lt;test&gt;')
    expect(svg.match(/<path /g)).toHaveLength(2)
    // Plot box: x from 70 to 350 (280 px for 3 decades), y from 40 to 140.
    expect(svg).toContain('d="M70.0,140.0 L350.0,40.0"')
    expect(svg).toContain('<circle cx="163.3" cy="90.0"')
  })
})
