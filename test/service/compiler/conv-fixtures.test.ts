/**
 * Every supported PyTorch conv fixture compiles, and its plan, run on the float64 backend (level
 * and scale bookkeeping, no SEAL), reproduces the imported model on Fashion-MNIST images (or
 * seeded inputs for the untrained op fixtures).
 */
import { describe, expect, it } from 'vitest'
import { compileModel } from '../../../service/compiler/compile.ts'
import { evaluateLayerModel } from '../../../service/compiler/evaluate-layer-model.ts'
import { readOutput } from '../../../service/compiler/measure-ranges.ts'
import { executePlan } from '../../../service/compiler/plan/execute-plan.ts'
import {
  createFloat64Backend,
  nominalPrimes,
} from '../../../service/runtime/plain/float64-backend.ts'
import { packInput } from '../../../core/he/slots.ts'
import { fashionSample, torchFixtureBytes, torchFixtures } from '../../support/torch-fixtures.ts'
import { randomInputs } from '../../support/onnx-fixtures.ts'

const fixtures = torchFixtures()
const convFixtures = Object.keys(fixtures).filter(
  (name) =>
    fixtures[name].supported !== false &&
    fixtures[name].ops.some((op) => op === 'Conv' || op === 'AveragePool') &&
    !fixtures[name].ops.includes('Relu'),
)

describe('conv fixtures: compiled plans on the float64 backend', () => {
  it.each(convFixtures)('%s', (name) => {
    const fixture = fixtures[name]
    const images = fixture.dataset === 'fashion-mnist'
    const inputSize = fixture.inputShape.reduce((a, b) => a * b, 1)
    const inputs = images ? fashionSample().images.slice(0, 3) : randomInputs(3, inputSize, 5)
    const compiled = compileModel(torchFixtureBytes(name), {
      calibration: images ? fashionSample().images.slice(8, 24) : randomInputs(8, inputSize, 6),
    })
    const backend = createFloat64Backend(
      compiled.plan,
      compiled.parameters,
      nominalPrimes(compiled.parameters),
    )
    for (const x of inputs) {
      const input = backend.encrypt(packInput(compiled.inputLayout, x))
      const output = executePlan(compiled.plan, backend, input)
      const got = readOutput(compiled.plan, output.slots)
      const expected = evaluateLayerModel(compiled.layerModel, x)
      const range = Math.max(...expected.map(Math.abs))
      got.forEach((value, j) => expect(Math.abs(value - expected[j])).toBeLessThan(1e-9 * range))
      backend.free(output)
      backend.free(input)
    }
    expect(backend.live).toBe(0)
    // A window map before the last layer is a placed product (explicit giant offsets).
    const layers = compiled.layerModel.layers
    const windowBeforeLast = layers
      .slice(0, -1)
      .some((layer) => layer.kind === 'linear' && layer.window !== undefined)
    const placed = compiled.plan.ops.some(
      (op) => op.kind === 'matVec' && op.groups.some((group) => group.offset !== undefined),
    )
    expect(placed).toBe(windowBeforeLast)
  })
})
