/**
 * LayerChain: the layers emitted so far and the frontier they end at. Importers ask it for an
 * affine view of an activation; a polynomial of degree >= 2 or a non-polynomial function is then
 * committed as layers.
 */
import type { Layer } from '../ir.ts'
import { applyAffinePolynomial, identityMap, isIdentityMap, type AffineMap } from './affine-map.ts'
import { NodeProblem } from './node-problem.ts'
import { polynomialOf } from '../elementwise.ts'
import { polynomialDegree, trimPolynomial } from './polynomial.ts'
import { linearActivation, type ActivationValue } from './symbolic-value.ts'

export class LayerChain {
  readonly layers: Layer[] = []
  /** Increments at every committed activation (polynomial or function) layer. */
  generation = 0

  /** @throws NodeProblem when the value was computed before the latest activation layer. */
  assertCurrent(value: ActivationValue): void {
    if (value.generation !== this.generation) {
      throw new NodeProblem(
        'uses a tensor computed before the latest activation layer (a skip connection or a second ' +
          'branch): only a chain of layers is supported',
      )
    }
  }

  /**
   * The affine map (of the frontier) that equals `value`. Anything but a polynomial of degree
   * <= 1 is committed first: LinearLayer(base) unless the base is the identity, then
   * PolyLayer(p) or ActivationLayer(f); the frontier moves.
   */
  affineOf(value: ActivationValue): AffineMap {
    const current = this.commit(value)
    const polynomial = polynomialOf(current.elementwise) ?? [0, 1]
    return applyAffinePolynomial(current.base, polynomial, current.elementwiseNodes)
  }

  /** Emits a non-affine function as layers and returns the value on the new frontier. */
  commit(value: ActivationValue): ActivationValue {
    this.assertCurrent(value)
    const polynomial = polynomialOf(value.elementwise)
    if (polynomial !== undefined && polynomialDegree(polynomial) < 2) return value
    this.emitLinear(value.base)
    const name = value.elementwiseNodes.join('+')
    this.layers.push(
      polynomial !== undefined
        ? { kind: 'poly', name, coefficients: trimPolynomial(polynomial) }
        : { kind: 'activation', name, function: value.elementwise },
    )
    this.generation++
    return linearActivation(identityMap(value.base.outSize), value.shape, this.generation)
  }

  /**
   * Emits the affine map that equals `value` as a linear layer of its own (no activation after it)
   * and returns the value on the new frontier. Used to keep an average pool apart from the
   * convolution after it: the lowering can then run the pool as a fold (lower.ts poolByFold).
   */
  commitLinear(value: ActivationValue): ActivationValue {
    const map = this.affineOf(value)
    if (isIdentityMap(map)) return linearActivation(map, value.shape, this.generation)
    this.emitLinear(map, true)
    this.generation++
    return linearActivation(identityMap(map.outSize), value.shape, this.generation)
  }

  /**
   * Ends the chain at `value`: commits it and emits its remaining affine part. A model that is
   * the identity gets one identity linear layer so the chain is never empty.
   */
  finish(value: ActivationValue): void {
    const map = this.affineOf(value)
    if (!isIdentityMap(map) || this.layers.length === 0) this.emitLinear(map, true)
  }

  private emitLinear(map: AffineMap, force = false): void {
    if (!force && isIdentityMap(map)) return
    const weights = new Float64Array(map.outSize * map.inSize)
    if (map.weights) weights.set(map.weights)
    else for (let i = 0; i < map.outSize; i++) weights[i * map.inSize + i] = 1
    this.layers.push({
      kind: 'linear',
      name: map.nodes.join('+') || 'identity',
      inFeatures: map.inSize,
      outFeatures: map.outSize,
      weights,
      bias: Float64Array.from(map.bias),
      ...(map.window ? { window: map.window } : {}),
      ...(map.averagePool ? { averagePool: true as const } : {}),
    })
  }
}
