import { describe, expect, it } from 'vitest'
import {
  addMaps,
  applyAffinePolynomial,
  composeLinear,
  denseWeights,
  identityMap,
  isIdentityMap,
} from '../../../../service/compiler/front/affine-map.ts'
import {
  addPolynomials,
  evaluatePolynomial,
  multiplyPolynomials,
  polynomialDegree,
  powerOfPolynomial,
  scalePolynomial,
} from '../../../../service/compiler/front/polynomial.ts'

function apply(map: ReturnType<typeof identityMap>, x: number[]): number[] {
  const w = denseWeights(map)
  return Array.from(map.bias, (b, i) =>
    x.reduce((sum, xj, j) => sum + w[i * map.inSize + j] * xj, b),
  )
}

describe('polynomials', () => {
  it('add, multiply, scale and power like the functions they stand for', () => {
    const p = [1, -2, 0.5]
    const q = [0, 3]
    for (const x of [-2, -0.5, 0, 1.25, 3]) {
      const px = evaluatePolynomial(p, x)
      const qx = evaluatePolynomial(q, x)
      expect(evaluatePolynomial(addPolynomials(p, q), x)).toBeCloseTo(px + qx, 12)
      expect(evaluatePolynomial(multiplyPolynomials(p, q), x)).toBeCloseTo(px * qx, 12)
      expect(evaluatePolynomial(scalePolynomial(p, -3), x)).toBeCloseTo(-3 * px, 12)
      expect(evaluatePolynomial(powerOfPolynomial(p, 3), x)).toBeCloseTo(px ** 3, 10)
    }
  })

  it('trims cancelled leading terms so the degree is the real one', () => {
    expect(addPolynomials([0, 1, 2], [0, 0, -2])).toEqual([0, 1])
    expect(polynomialDegree([3, 0, 0])).toBe(0)
    expect(polynomialDegree(multiplyPolynomials([0, 1], [0, 1]))).toBe(2)
  })
})

describe('affine maps', () => {
  it('composes linear maps into one (W2 (W1 x + b1) + b2)', () => {
    const first = composeLinear(
      identityMap(2),
      Float64Array.of(1, 2, 3, 4, 5, 6),
      3,
      Float64Array.of(1, 0, -1),
      'fc1',
    )
    const second = composeLinear(first, Float64Array.of(1, -1, 2), 1, Float64Array.of(0.5), 'fc2')
    const x = [0.5, -2]
    const h = [1 + 0.5 - 4, 1.5 - 8, -1 + 2.5 - 12]
    expect(apply(second, x)[0]).toBeCloseTo(h[0] - h[1] + 2 * h[2] + 0.5, 12)
    expect(second.nodes).toEqual(['fc1', 'fc2'])
    expect(second).toMatchObject({ inSize: 2, outSize: 1 })
  })

  it('applies a degree-1 polynomial and adds maps', () => {
    const map = composeLinear(
      identityMap(2),
      Float64Array.of(1, 1, 0, 2),
      2,
      Float64Array.of(0, 1),
      'fc',
    )
    const scaled = applyAffinePolynomial(map, [3, -2], ['mul', 'add'])
    expect(apply(scaled, [1, 2])).toEqual([3 - 2 * 3, 3 - 2 * 5])
    expect(apply(addMaps(map, identityMap(2), 'residual'), [1, 2])).toEqual([3 + 1, 5 + 2])
  })

  it('recognizes the identity only when the bias is zero', () => {
    expect(isIdentityMap(identityMap(3))).toBe(true)
    expect(isIdentityMap(applyAffinePolynomial(identityMap(3), [1, 1], ['add']))).toBe(false)
  })
})
