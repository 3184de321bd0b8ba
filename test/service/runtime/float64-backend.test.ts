import { describe, expect, it } from 'vitest'
import { compileLayerModel } from '../../../service/compiler/compile.ts'
import { evaluatePlanSlots, readOutput } from '../../../service/compiler/measure-ranges.ts'
import { compiledModelFromJson, compiledModelToJson } from '../../../service/compiler/serialize.ts'
import { scheduleScales } from '../../../service/compiler/scale-schedule.ts'
import { executePlan } from '../../../service/compiler/plan/execute-plan.ts'
import { createCountingBackend } from '../../../service/runtime/counting-backend.ts'
import {
  createFloat64Backend,
  nominalPrimes,
  type PlainCiphertext,
} from '../../../service/runtime/plain/float64-backend.ts'
import { contentsOfInputLayout, packByContents } from '../../../core/layout/slot-contents.ts'
import { PrivinferError } from '../../../core/errors.ts'
import { evaluateDense, mlp, randomInputs } from '../compiler/layer-models.ts'

/** Primes a bit below 2^bits, as SEAL's are (so the scale really drifts). */
function driftingPrimes(bits: number[]): number[] {
  return bits.map((b, i) => 2 ** b * (1 - (i + 1) * 3.1e-5))
}

// The two-level chain (lazy first layer only); the default lazy-output chain is `lazyOutput`.
// Rotation counts of the folded (unmasked) design; masking is tested in lower.test.ts and
// output-masking.test.ts.
const unmasked = { maskOutput: false }
const compiled = compileLayerModel(mlp([784, 128, 10], [[0, 0, 1]]), {
  lazyOutput: false,
  ...unmasked,
})
const baseline = compileLayerModel(mlp([784, 128, 10], [[0, 0, 1]]), {
  strategy: 'baseline',
  ...unmasked,
})
// Forced and unmasked, the lazy-output chain misses the default precision target (tolerance
// 3.7e-3 > 2.4e-3 at N=8192): bookkeeping is what is tested here.
const lazyOutput = compileLayerModel(mlp([784, 128, 10], [[0, 0, 1]]), {
  lazyOutput: true,
  outputPrecision: 0.01,
  ...unmasked,
})

describe('executePlan on the float64 backend (level and scale bookkeeping, no SEAL)', () => {
  it.each([
    ['optimized, two levels', compiled],
    ['baseline', baseline],
    ['lazy output', lazyOutput],
  ])(
    '%s: matches the dense model, frees every temporary, ends at level 0 with the exact output scale',
    (_name, model) => {
      const primes = driftingPrimes(model.parameters.coeffModulusBits.slice(0, -1))
      const backend = createFloat64Backend(model.plan, model.parameters, primes)
      for (const x of randomInputs(784, 2)) {
        const input = backend.encrypt(packByContents(contentsOfInputLayout(model.inputLayout), x))
        const output = executePlan(model.plan, backend, input)
        const expected = evaluateDense(model.layerModel, x)
        const got = readOutput(model.plan, output.slots)
        for (let j = 0; j < 10; j++) expect(got[j]).toBeCloseTo(expected[j], 8)
        expect(output.level).toBe(0)
        // Exact-scale management: the drift of the primes is absorbed by the plaintext scales.
        expect(output.scale / backend.schedule.outputScale).toBeCloseTo(1, 12)
        // A lazy output keeps the drifted product scale; otherwise the drift is absorbed exactly.
        if (model !== lazyOutput)
          expect(output.scale / 2 ** model.parameters.outputScaleBits).toBeCloseTo(1, 12)
        backend.free(output)
        backend.free(input)
      }
      expect(backend.live).toBe(0)
    },
  )

  it('rejects a plan whose plaintext scales do not match (a schedule for other primes)', () => {
    const primes = driftingPrimes(compiled.parameters.coeffModulusBits.slice(0, -1))
    const backend = createFloat64Backend(
      compiled.plan,
      compiled.parameters,
      nominalPrimes(compiled.parameters),
    )
    // Same schedule, but the "ciphertext" rescales by other primes: the bias add must notice.
    const wrong = createFloat64Backend(compiled.plan, compiled.parameters, primes)
    const mixed = {
      ...wrong,
      multiplyPlain: backend.multiplyPlain,
      addPlainInPlace: backend.addPlainInPlace,
    }
    const input = wrong.encrypt(
      packByContents(contentsOfInputLayout(compiled.inputLayout), randomInputs(784, 1)[0]),
    )
    expect(() => executePlan(compiled.plan, mixed, input)).toThrow(PrivinferError)
  })

  it('schedules every plaintext at the level where it is used', () => {
    const schedule = scheduleScales(
      compiled.plan,
      compiled.parameters,
      nominalPrimes(compiled.parameters),
    )
    expect(schedule.plaintexts.every((spec) => spec !== undefined)).toBe(true)
    expect(new Set(schedule.plaintexts.map((spec) => spec.level))).toEqual(new Set([2, 1, 0]))
    expect(schedule.outputLevel).toBe(0)
  })
})

describe('counting backend', () => {
  it('784→128→10 optimized: 15 rotations at the top level (7 baby + 3 giant + 5 fold), 3 at level 1, 6 at level 0 (rescaled groups); 48 products', () => {
    const inner = createFloat64Backend(
      compiled.plan,
      compiled.parameters,
      nominalPrimes(compiled.parameters),
    )
    const counting = createCountingBackend(inner, (x: PlainCiphertext) => x.level)
    const input = inner.encrypt(new Float64Array(4096))
    counting.free(executePlan(compiled.plan, counting, input))
    expect(counting.counts.rotate).toBe(24)
    expect(counting.counts.rotationsByLevel).toEqual({ 2: 15, 1: 3, 0: 6 })
    expect(counting.counts.multiplyPlain).toBe(48)
    expect(counting.counts.square).toBe(1)
    expect(
      Object.keys(counting.counts.rotationsByStep)
        .map(Number)
        .sort((a, b) => a - b),
    ).toEqual(compiled.galoisSteps)
  })

  it('the default lazy-output plan: the same 24 rotations, 15 at the top level (2 primes), 9 at level 0', () => {
    const inner = createFloat64Backend(
      lazyOutput.plan,
      lazyOutput.parameters,
      nominalPrimes(lazyOutput.parameters),
    )
    const counting = createCountingBackend(inner, (x: PlainCiphertext) => x.level)
    counting.free(executePlan(lazyOutput.plan, counting, inner.encrypt(new Float64Array(4096))))
    expect(counting.counts.rotationsByLevel).toEqual({ 1: 15, 0: 9 })
  })

  it('the baseline uses 43 rotations, 22 + 5 of them at the top two levels', () => {
    const inner = createFloat64Backend(
      baseline.plan,
      baseline.parameters,
      nominalPrimes(baseline.parameters),
    )
    const counting = createCountingBackend(inner, (x: PlainCiphertext) => x.level)
    counting.free(executePlan(baseline.plan, counting, inner.encrypt(new Float64Array(4096))))
    expect(counting.counts.rotate).toBe(43)
    expect(counting.counts.rotationsByLevel[3]).toBe(22)
  })
})

describe('CompiledModel JSON', () => {
  it('round-trips bit-exactly (plaintexts and weights as base64 float64)', () => {
    const text = compiledModelToJson(compiled, { onnxSha256: 'x' })
    const { compiled: back, extra } = compiledModelFromJson(text)
    expect(extra.onnxSha256).toBe('x')
    expect(back.parameters).toEqual(compiled.parameters)
    expect(back.plan.plaintexts).toHaveLength(compiled.plan.plaintexts.length)
    back.plan.plaintexts.forEach((values, id) =>
      expect(values).toEqual(compiled.plan.plaintexts[id]),
    )
    const x = randomInputs(784, 1)[0]
    expect(readOutput(back.plan, evaluatePlanSlots(back.plan, x))).toEqual(
      readOutput(compiled.plan, evaluatePlanSlots(compiled.plan, x)),
    )
  })

  it('rejects text that is not a compiled model', () => {
    expect(() => compiledModelFromJson('{"compiled":{}}')).toThrow(/unknown format/)
    expect(() => compiledModelFromJson('nope')).toThrow(PrivinferError)
  })
})
