/**
 * A small compiled model for pool tests: a random 16-8-4 MLP with a square activation (test/support
 * fixtures), compiled by service/compiler, and a card built from the compiled data.
 */
import type { ModelCard } from '../../../core/card.ts'
import { compileModel, type CompiledModel } from '../../../service/compiler/compile.ts'
import { buildMlpOnnx } from '../../support/onnx-fixtures.ts'

export interface CompiledFixture {
  onnx: Uint8Array
  compiled: CompiledModel
  card: ModelCard
}

export function compileFixture(id = 'tiny', seed = 1): CompiledFixture {
  const onnx = buildMlpOnnx({ sizes: [16, 8, 4], activation: 'square', seed })
  const compiled = compileModel(onnx)
  return { onnx, compiled, card: cardOf(id, compiled) }
}

export function cardOf(id: string, compiled: CompiledModel): ModelCard {
  const { parameters, inputLayout, outputLayout } = compiled
  return {
    formatVersion: 1,
    id,
    title: id,
    description: 'test fixture',
    nonPrivate: true,
    onnxFile: 'model.onnx',
    labels: Array.from({ length: outputLayout.outputSize }, (_, i) => String(i)),
    input: {
      rawSize: inputLayout.inputSize,
      size: inputLayout.inputSize,
      preprocessing: { kind: 'none' },
      layout: inputLayout,
    },
    output: { size: outputLayout.outputSize, layout: outputLayout },
    he: {
      scheme: 'ckks',
      securityLevel: 128,
      polyModulusDegree: parameters.polyModulusDegree,
      coeffModulusBits: [...parameters.coeffModulusBits],
      scaleBits: parameters.scaleBits,
      encryptionParametersBase64: '',
      depth: compiled.depth,
      galoisSteps: compiled.galoisSteps,
      needsRelinKeys: compiled.plan.needsRelinKeys,
      inputLevel: compiled.plan.depth,
      outputLevel: 0,
      reasons: compiled.reasons,
      opCounts: compiled.opCounts,
    },
    createdAt: '2026-01-01T00:00:00Z',
  }
}
