/**
 * scatter28-v1 (core/features/scattering.ts) against (1) the numpy reference vector written from the
 * specification by test/core/features/make-scatter28-vector.py and (2) a direct spatial
 * implementation of the same specification below (circular convolutions as plain sums, no FFT).
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  morletWavelet,
  scatter28,
  SCATTER_FEATURE_COUNT,
} from '../../../core/features/scattering.ts'

const vector = JSON.parse(
  readFileSync(new URL('./scatter28-vector.json', import.meta.url), 'utf8'),
) as { vectors: Array<{ name: string; image: number[]; features: number[] }> }

const N = 32

/** Circular convolution of real or complex 32x32 arrays, directly from the definition. */
function convolve(
  aRe: Float64Array,
  aIm: Float64Array,
  bRe: Float64Array,
  bIm: Float64Array,
): { re: Float64Array; im: Float64Array } {
  const re = new Float64Array(N * N)
  const im = new Float64Array(N * N)
  for (let r = 0; r < N; r++)
    for (let c = 0; c < N; c++) {
      let sr = 0
      let si = 0
      for (let r2 = 0; r2 < N; r2++)
        for (let c2 = 0; c2 < N; c2++) {
          const a = r2 * N + c2
          const b = ((r - r2 + N) % N) * N + ((c - c2 + N) % N)
          sr += aRe[a] * bRe[b] - aIm[a] * bIm[b]
          si += aRe[a] * bIm[b] + aIm[a] * bRe[b]
        }
      re[r * N + c] = sr
      im[r * N + c] = si
    }
  return { re, im }
}

function directScatter(image: ArrayLike<number>): Float64Array {
  const zero = new Float64Array(N * N)
  const canvas = new Float64Array(N * N)
  for (let r = 0; r < 28; r++)
    for (let c = 0; c < 28; c++) canvas[(r + 2) * N + c + 2] = image[r * 28 + c]
  const modulusOf = (x: { re: Float64Array; im: Float64Array }) =>
    x.re.map((value, i) => Math.hypot(value, x.im[i]))
  const first: Float64Array[] = []
  for (let j = 0; j < 2; j++)
    for (let l = 0; l < 8; l++) {
      const psi = morletWavelet(j, l)
      first.push(modulusOf(convolve(canvas, zero, psi.re, psi.im)))
    }
  const second: Float64Array[] = []
  for (let l1 = 0; l1 < 8; l1++)
    for (let l2 = 0; l2 < 8; l2++) {
      const psi = morletWavelet(1, l2)
      second.push(modulusOf(convolve(first[l1], zero, psi.re, psi.im)))
    }
  const signed = (i: number) => (i < 16 ? i : i - 32)
  const pool = (map: Float64Array, sigma: number, positions: number[]) => {
    let total = 0
    for (let r = 0; r < N; r++)
      for (let c = 0; c < N; c++)
        total += Math.exp(-(signed(r) ** 2 + signed(c) ** 2) / (2 * sigma * sigma))
    const values: number[] = []
    for (const pa of positions)
      for (const pb of positions) {
        let sum = 0
        for (let r = 0; r < N; r++)
          for (let c = 0; c < N; c++) {
            const du = signed((pa - r + N) % N)
            const dv = signed((pb - c + N) % N)
            sum += (map[r * N + c] * Math.exp(-(du * du + dv * dv) / (2 * sigma * sigma))) / total
          }
        values.push(sum)
      }
    return values
  }
  const normalize = (values: number[]) => {
    const mean = values.reduce((a, b) => a + b, 0) / values.length
    const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length)
    return values.map((v) => (v - mean) / (std + 1e-5))
  }
  const out: number[] = []
  for (const map of [canvas, ...first]) out.push(...normalize(pool(map, 2.5, [5, 10, 16, 21, 26])))
  for (let g = 0; g < 16; g++) {
    const group: number[] = []
    for (let k = 0; k < 4; k++) group.push(...pool(second[4 * g + k], 4.5, [7, 16, 25]))
    out.push(...normalize(group))
  }
  return Float64Array.from(out)
}

function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]))
  return max
}

describe('scatter28-v1', () => {
  it.each(vector.vectors.map((v) => [v.name, v] as const))(
    'matches the numpy reference vector (%s) to 1e-9',
    (_name, { image, features }) => {
      const ours = scatter28(image)
      expect(ours.length).toBe(SCATTER_FEATURE_COUNT)
      expect(features.length).toBe(SCATTER_FEATURE_COUNT)
      expect(maxAbsDifference(ours, features)).toBeLessThan(1e-9)
    },
  )

  it('matches a direct spatial implementation of the specification on a random image', () => {
    let state = 12345
    const image = Float64Array.from({ length: 784 }, () => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0
      return (state >>> 8) / 2 ** 24
    })
    expect(maxAbsDifference(scatter28(image), directScatter(image))).toBeLessThan(1e-9)
  })

  it('has wavelets that sum to zero and features that differ between the two test images', () => {
    for (const [j, l] of [
      [0, 0],
      [1, 5],
    ]) {
      const psi = morletWavelet(j, l)
      expect(Math.abs(psi.re.reduce((a, b) => a + b, 0))).toBeLessThan(1e-12)
      expect(Math.abs(psi.im.reduce((a, b) => a + b, 0))).toBeLessThan(1e-12)
    }
    const [a, b] = vector.vectors.map((v) => scatter28(v.image))
    expect(maxAbsDifference(a, b)).toBeGreaterThan(0.5)
  })

  it('rejects a wrong length and non-finite pixels with INPUT_INVALID', () => {
    expect(() => scatter28(new Float64Array(783))).toThrow(
      expect.objectContaining({ code: 'INPUT_INVALID' }),
    )
    const bad = new Float64Array(784)
    bad[5] = Number.NaN
    expect(() => scatter28(bad)).toThrow(expect.objectContaining({ code: 'INPUT_INVALID' }))
  })
})
