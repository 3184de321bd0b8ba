/**
 * The demo page's size estimates (web/sizes.ts) against the sizes of real uploads and results: keys
 * made by core/he for each bundled model's card, a query and a result from the local round trip.
 */
import { describe, expect, it } from 'vitest'
import { loadModelDirectory } from '../../service/models/index.ts'
import { createLocalRoundTrip } from '../../service/runtime/seal/local-round-trip.ts'
import { estimateSizes, formatBytes } from '../../web/sizes.ts'

describe('estimateSizes', () => {
  it.each(['mnist-dp', 'mnist-mlp', 'fashion-mnist-dp'])(
    'is within 12 percent of the measured sizes for %s',
    async (id) => {
      const { card, compiled } = await loadModelDirectory(`models/${id}`)
      const estimate = estimateSizes(card.he)
      const roundTrip = await createLocalRoundTrip(compiled)
      try {
        const { inputBytes, outputBytes } = roundTrip.query(
          new Float64Array(card.input.size).fill(0.3),
        )
        const keys = roundTrip.galoisKeyBytes + roundTrip.relinKeyBytes
        for (const [estimated, measured] of [
          [estimate.keysBytes, keys],
          [estimate.queryBytes, inputBytes],
          [estimate.resultBytes, outputBytes],
        ])
          expect(Math.abs(estimated / measured - 1)).toBeLessThan(0.12)
      } finally {
        roundTrip.delete()
      }
    },
  )

  it('formats bytes as B, KB and MB', () => {
    expect([512, 126_400, 4_300_000].map(formatBytes)).toEqual(['512 B', '126 KB', '4.3 MB'])
  })
})
