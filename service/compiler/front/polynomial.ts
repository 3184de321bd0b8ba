/**
 * Univariate polynomials as coefficient arrays, lowest degree first: [c0, c1, c2] = c0 + c1 x + c2 x^2.
 * The front end uses them for element-wise activations (PolyLayer.coefficients).
 */

/** A polynomial, lowest degree first. */
export type Polynomial = readonly number[]

/** p(x) = x. */
export const IDENTITY_POLYNOMIAL: Polynomial = [0, 1]

/** Drops trailing zero coefficients; the zero polynomial is [0]. */
export function trimPolynomial(p: Polynomial): number[] {
  let length = p.length
  while (length > 1 && p[length - 1] === 0) length--
  return length === 0 ? [0] : p.slice(0, length)
}

/** Degree after trimming; 0 for constants (including the zero polynomial). */
export function polynomialDegree(p: Polynomial): number {
  return trimPolynomial(p).length - 1
}

export function addPolynomials(p: Polynomial, q: Polynomial): number[] {
  const sum = new Array<number>(Math.max(p.length, q.length)).fill(0)
  p.forEach((c, k) => (sum[k] += c))
  q.forEach((c, k) => (sum[k] += c))
  return trimPolynomial(sum)
}

export function multiplyPolynomials(p: Polynomial, q: Polynomial): number[] {
  const product = new Array<number>(p.length + q.length - 1).fill(0)
  p.forEach((a, i) => q.forEach((b, j) => (product[i + j] += a * b)))
  return trimPolynomial(product)
}

export function scalePolynomial(p: Polynomial, factor: number): number[] {
  return trimPolynomial(p.map((c) => c * factor))
}

/** p^exponent for an integer exponent >= 0. */
export function powerOfPolynomial(p: Polynomial, exponent: number): number[] {
  let result: number[] = [1]
  for (let k = 0; k < exponent; k++) result = multiplyPolynomials(result, p)
  return result
}

/** p(x) by Horner's rule. */
export function evaluatePolynomial(p: Polynomial, x: number): number {
  let value = 0
  for (let k = p.length - 1; k >= 0; k--) value = value * x + p[k]
  return value
}
