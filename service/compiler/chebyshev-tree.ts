/**
 * Builds the evaluation tree of plan/chebyshev.ts from per-slot Chebyshev coefficients: divide by
 * the largest giant T_G (G = 2^j <= degree) until the quotient has degree <= 1 or is a constant,
 * using T_{G+i} = 2 T_G T_i − T_{G−i}:
 *   p = Σ_k c_k T_k = q · T_G + r,  q_0 = c_G, q_i = 2 c_{G+i},  r_k = c_k − c_{2G−k} (k > G − (d − G) ... G − 1).
 * Plaintext vectors that are zero in every slot are dropped (node-seal refuses a product with an
 * all-zero plaintext: the result would be transparent).
 */
import type { ChebyshevNode } from './plan/chebyshev.ts'

/** A subtree, or only a constant (no ciphertext needed). */
type Built = { node: ChebyshevNode } | { constant: Float64Array | undefined }

const isZero = (values: Float64Array) => values.every((value) => value === 0)

/** Coefficient vectors without the trailing all-zero ones. */
function trimmed(coefficients: readonly Float64Array[]): Float64Array[] {
  let length = coefficients.length
  while (length > 1 && isZero(coefficients[length - 1])) length--
  return coefficients.slice(0, length)
}

export interface ChebyshevTree {
  tree: ChebyshevNode
  /** Largest giant index used (T_{2^giants}). */
  giants: number
}

/**
 * @param coefficients c_k as slot vectors (index k = degree); at least one of c_1.. non-zero.
 * @param addPlaintext stores a slot vector and returns its plaintext id.
 * @throws Error when the polynomial is a constant (nothing to evaluate; callers fold constants).
 */
export function buildChebyshevTree(
  coefficients: readonly Float64Array[],
  addPlaintext: (values: Float64Array) => number,
): ChebyshevTree {
  let giants = 0
  const constantOf = (values: Float64Array | undefined) =>
    values === undefined || isZero(values) ? undefined : addPlaintext(values)
  const build = (c: Float64Array[]): Built => {
    const terms = trimmed(c)
    const degree = terms.length - 1
    if (degree === 0) return { constant: terms[0] }
    if (degree === 1) {
      const constant = constantOf(terms[0])
      const node: ChebyshevNode = { kind: 'term', giant: 0, factor: addPlaintext(terms[1]) }
      return { node: constant === undefined ? node : { ...node, constant } }
    }
    let giant = 0
    while (2 ** (giant + 1) <= degree) giant++
    const size = 2 ** giant
    giants = Math.max(giants, giant)
    const quotient: Float64Array[] = [Float64Array.from(terms[size])]
    const remainder = terms.slice(0, size).map((values) => Float64Array.from(values))
    for (let i = 1; i + size <= degree; i++) {
      const high = terms[size + i]
      quotient.push(high.map((value) => 2 * value))
      const low = remainder[size - i]
      for (let s = 0; s < low.length; s++) low[s] -= high[s]
    }
    const builtQuotient = build(quotient)
    const builtRemainder = build(remainder)
    let node: ChebyshevNode
    if ('constant' in builtQuotient) {
      // q is a constant vector (degree G exactly): a term of the giant itself.
      node = {
        kind: 'term',
        giant,
        factor: addPlaintext(builtQuotient.constant ?? new Float64Array()),
      }
    } else {
      node = { kind: 'split', giant, quotient: builtQuotient.node }
    }
    if ('node' in builtRemainder) {
      node.remainder = builtRemainder.node
    } else {
      const constant = constantOf(builtRemainder.constant)
      if (constant !== undefined) node.constant = constant
    }
    return { node }
  }
  const built = build([...coefficients])
  if ('constant' in built) throw new Error('buildChebyshevTree: a constant polynomial')
  return { tree: built.node, giants }
}
