/**
 * The evaluation tree of an element-wise polynomial in the Chebyshev basis, p(t) = Σ_k c_k T_k(t)
 * on t ∈ [-1, 1], as the plan stores it (ChebyshevOp in plan.ts), and its level structure.
 *
 * Only the giant steps T_{2^j} are computed from the input t = T_1, by T_{2k} = 2 T_k² − 1 (one
 * product each, T_{2^j} at j levels below the input). The polynomial is divided recursively by
 * the largest giant: p = q · T_G + r with deg r < G (T_G T_i = (T_{G+i} + T_{G−i}) / 2), down to
 * terms c ⊙ T_{2^j}; every coefficient c is a plaintext vector (one value per slot, so every
 * neuron has its own polynomial; node-seal has no scalar multiply). A degree 2^k − 1 polynomial
 * then needs k levels, the depth of its highest giant: ceil(log2(d + 1)), the minimum for degree d
 * (Bossuat, Mouchet, Troncoso-Pastoriza, Hubaux 2021, eprint 2020/1203, §4 for the Chebyshev
 * baby-step giant-step idea; this is its giant-only form, fine for d <= 31).
 *
 * Scales: every term's plaintext is encoded at the scale that lands the term exactly on the scale
 * its sum needs (exact-scale management, service/compiler/scale-schedule.ts), so additions never
 * meet different scales.
 */
import { unreachable } from '../../../core/unreachable.ts'

/** factor ⊙ T_{2^giant} + remainder (+ constant): giant 0 is t itself. */
export interface ChebyshevTerm {
  kind: 'term'
  giant: number
  /** Plaintext id of the per-slot factor. */
  factor: number
  /** A polynomial of degree < 2^giant added to the product. */
  remainder?: ChebyshevNode
  /** Plaintext id of a per-slot constant added last. */
  constant?: number
}

/** quotient ⊙ T_{2^giant} + remainder (+ constant). */
export interface ChebyshevSplit {
  kind: 'split'
  giant: number
  quotient: ChebyshevNode
  remainder?: ChebyshevNode
  constant?: number
}

export type ChebyshevNode = ChebyshevTerm | ChebyshevSplit

/**
 * Levels below the op's input at which `node` can be computed at the earliest (its depth): a term
 * needs its giant and one product, a split one product after both its quotient and its giant.
 */
export function depthOf(node: ChebyshevNode): number {
  // ASSUME: deg remainder < 2^giant, so its depth <= giant < the node's (chebyshev-tree.ts).
  switch (node.kind) {
    case 'term':
      return node.giant + 1
    case 'split':
      return Math.max(depthOf(node.quotient), node.giant) + 1
    default:
      return unreachable(node)
  }
}

/** Every node of a tree, parents first. */
export function nodesOf(node: ChebyshevNode): ChebyshevNode[] {
  switch (node.kind) {
    case 'term':
      return [node, ...(node.remainder === undefined ? [] : nodesOf(node.remainder))]
    case 'split':
      return [
        node,
        ...nodesOf(node.quotient),
        ...(node.remainder === undefined ? [] : nodesOf(node.remainder)),
      ]
    default:
      return unreachable(node)
  }
}
