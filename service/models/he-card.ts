/**
 * The HE part of a model card (core/card.ts HeCard) from a compiled model.
 */
import type { ApproximationCard, HeCard, ModelCard } from '../../core/card.ts'
import type { OnnxGraph } from '../../onnx/graph.ts'
import { batchCardOf } from '../compiler/batch/batch-card.ts'
import type { CompiledModel } from '../compiler/compile.ts'

/** @param encryptionParametersBase64 from core/ckks/context.ts (needs SEAL). */
export function heCardOf(compiled: CompiledModel, encryptionParametersBase64: string): HeCard {
  const { parameters, plan } = compiled
  return {
    scheme: 'ckks',
    securityLevel: 128,
    polyModulusDegree: parameters.polyModulusDegree,
    coeffModulusBits: [...parameters.coeffModulusBits],
    scaleBits: parameters.scaleBits,
    encryptionParametersBase64,
    depth: compiled.depth,
    galoisSteps: [...compiled.galoisSteps],
    needsRelinKeys: plan.needsRelinKeys || compiled.batch?.plan.needsRelinKeys === true,
    inputLevel: plan.depth,
    outputLevel: 0,
    reasons: [...compiled.reasons],
    opCounts: { ...compiled.opCounts },
    ...(compiled.flooding ? { flooding: { ...compiled.flooding } } : {}),
  }
}

/** The card with its HE fields and layouts set from the compiled model (other fields kept). */
export function withCompiledFields(card: ModelCard, compiled: CompiledModel, encryptionParametersBase64: string): ModelCard {
  const { batch: previous, maxBatch: _previousMax, ...rest } = card
  const compiledBatch = batchCardOf(compiled)
  // The measured comparison of the same batch plan survives a reload (privinfer import wrote it).
  const batch =
    compiledBatch !== undefined &&
    previous?.comparison !== undefined &&
    previous.packing === compiledBatch.packing &&
    previous.maxBatch === compiledBatch.maxBatch
      ? { ...compiledBatch, comparison: previous.comparison }
      : compiledBatch
  return {
    ...rest,
    ...(batch === undefined ? {} : { maxBatch: batch.maxBatch, batch }),
    input: { ...card.input, size: compiled.layerModel.inputSize, layout: compiled.inputLayout },
    output: {
      ...card.output,
      size: compiled.layerModel.outputSize,
      layout: compiled.outputLayout,
      ...(compiled.layerModel.postprocessing === undefined
        ? {}
        : { postprocessing: compiled.layerModel.postprocessing }),
    },
    he: heCardOf(compiled, encryptionParametersBase64),
  }
}

/**
 * card.approximation: every approximated node with its ONNX op types (from the graph) and the
 * approximated model's agreement with onnxruntime; undefined when nothing was approximated.
 */
export function approximationCardOf(
  compiled: CompiledModel,
  graph: OnnxGraph,
  check: ApproximationCard['check'],
): ApproximationCard | undefined {
  if (compiled.approximations.length === 0) return undefined
  const opOf = new Map(graph.nodes.map((node) => [node.name, node.opType]))
  return {
    nodes: compiled.approximations.map(({ layer, ...rest }) => ({
      node: layer,
      ops: layer.split('+').map((name) => opOf.get(name) ?? '?'),
      ...rest,
    })),
    check,
  }
}
