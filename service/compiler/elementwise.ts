/**
 * Element-wise functions of one tensor, as the ONNX front end builds them: polynomials, the
 * non-polynomial activations and their sums and products, e.g. SiLU = x · sigmoid(x) and torch's
 * GELU = x · 0.5 · (1 + erf(x / √2)). A value is a JSON tree; the compiler evaluates it exactly
 * (evaluateElementwise) to calibrate and to fit a polynomial in its place
 * (approximate-activations.ts).
 */
import { unreachable } from '../../core/unreachable.ts'
import {
  addPolynomials,
  evaluatePolynomial,
  multiplyPolynomials,
  trimPolynomial,
  type Polynomial,
} from './front/polynomial.ts'

/** The non-polynomial functions of one argument. */
export type ActivationFunction = 'relu' | 'leakyRelu' | 'sigmoid' | 'tanh' | 'erf'

export type Elementwise =
  | { kind: 'polynomial'; coefficients: readonly number[] }
  | { kind: 'function'; name: ActivationFunction; argument: Elementwise; alpha?: number }
  | { kind: 'sum'; terms: readonly Elementwise[] }
  | { kind: 'product'; factors: readonly Elementwise[] }

/** A polynomial as an Elementwise. */
export function polynomialElementwise(coefficients: Polynomial): Elementwise {
  return { kind: 'polynomial', coefficients: trimPolynomial(coefficients) }
}

/** The polynomial, when `value` is one. */
export function polynomialOf(value: Elementwise): Polynomial | undefined {
  return value.kind === 'polynomial' ? value.coefficients : undefined
}

/** value + other (polynomials stay polynomials). */
export function addElementwise(value: Elementwise, other: Elementwise): Elementwise {
  const p = polynomialOf(value)
  const q = polynomialOf(other)
  if (p && q) return polynomialElementwise(addPolynomials(p, q))
  return { kind: 'sum', terms: [value, other] }
}

/** value · other (polynomials stay polynomials). */
export function multiplyElementwise(value: Elementwise, other: Elementwise): Elementwise {
  const p = polynomialOf(value)
  const q = polynomialOf(other)
  if (p && q) return polynomialElementwise(multiplyPolynomials(p, q))
  return { kind: 'product', factors: [value, other] }
}

/** f(value) for a non-polynomial f (alpha: LeakyRelu's negative slope). */
export function applyFunction(
  name: ActivationFunction,
  value: Elementwise,
  alpha?: number,
): Elementwise {
  return alpha === undefined
    ? { kind: 'function', name, argument: value }
    : { kind: 'function', name, argument: value, alpha }
}

/** The value at x, in float64. */
export function evaluateElementwise(value: Elementwise, x: number): number {
  switch (value.kind) {
    case 'polynomial':
      return evaluatePolynomial(value.coefficients, x)
    case 'function':
      return evaluateFunction(value.name, evaluateElementwise(value.argument, x), value.alpha)
    case 'sum':
      return value.terms.reduce((sum, term) => sum + evaluateElementwise(term, x), 0)
    case 'product':
      return value.factors.reduce((product, factor) => product * evaluateElementwise(factor, x), 1)
    default:
      return unreachable(value)
  }
}

function evaluateFunction(name: ActivationFunction, x: number, alpha = 0.01): number {
  switch (name) {
    case 'relu':
      return x > 0 ? x : 0
    case 'leakyRelu':
      return x > 0 ? x : alpha * x
    case 'sigmoid':
      return 1 / (1 + Math.exp(-x))
    case 'tanh':
      return Math.tanh(x)
    case 'erf':
      return erf(x)
    default:
      return unreachable(name)
  }
}

/**
 * The error function to ~1e-15 (float64): Maclaurin series for |x| < 2.5, else the continued
 * fraction of erfc (Abramowitz and Stegun 7.1.5 and 7.1.14).
 */
export function erf(x: number): number {
  const z = Math.abs(x)
  if (z < 2.5) {
    // erf z = 2/√π Σ (-1)^n z^(2n+1) / (n! (2n+1))
    let term = z
    let sum = z
    for (let n = 1; n < 80; n++) {
      term *= (-z * z) / n
      const next = term / (2 * n + 1)
      sum += next
      if (Math.abs(next) < 1e-17 * Math.abs(sum)) break
    }
    return Math.sign(x) * ((2 / Math.sqrt(Math.PI)) * sum)
  }
  // erfc z = exp(-z²)/√π · 1/(z + (1/2)/(z + 1/(z + (3/2)/(z + 2/(z + ...)))))
  let fraction = 0
  for (let k = 60; k >= 1; k--) fraction = k / 2 / (z + fraction)
  const erfc = Math.exp(-z * z) / Math.sqrt(Math.PI) / (z + fraction)
  return Math.sign(x) * (1 - erfc)
}

/** A short formula for reports, in the variable `x`: e.g. "x·sigmoid(x)". */
export function describeElementwise(value: Elementwise): string {
  switch (value.kind) {
    case 'polynomial':
      return describePolynomial(value.coefficients)
    case 'function': {
      const argument = describeElementwise(value.argument)
      return value.name === 'leakyRelu'
        ? `leakyRelu(${argument}, ${value.alpha ?? 0.01})`
        : `${value.name}(${argument})`
    }
    case 'sum':
      return value.terms.map(describeElementwise).join(' + ')
    case 'product':
      return value.factors
        .map((factor) => {
          const text = describeElementwise(factor)
          return factor.kind === 'sum' || /[+-] /.test(text) ? `(${text})` : text
        })
        .join('·')
    default:
      return unreachable(value)
  }
}

function describePolynomial(coefficients: readonly number[]): string {
  const terms: string[] = []
  coefficients.forEach((c, k) => {
    if (c === 0) return
    const power = k === 0 ? '' : k === 1 ? 'x' : `x^${k}`
    const factor = k > 0 && c === 1 ? '' : `${Number(c.toPrecision(4))}`
    terms.push(k > 0 && factor !== '' ? `${factor}·${power}` : `${factor}${power}`)
  })
  return terms.length === 0 ? '0' : terms.join(' + ')
}
