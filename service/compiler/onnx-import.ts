/**
 * The ONNX front end: ONNX bytes -> LayerModel (ir.ts), a chain of linear and polynomial layers.
 *
 * One symbolic pass over the nodes in file order (ONNX requires topological order). Every tensor is
 * a constant, an element-wise polynomial of an affine map of the current frontier, or opaque after
 * a problem (front/symbolic-value.ts). Linear ops fold into the pending affine map, so consecutive
 * Gemms and a scalar multiply after a Gemm cost one layer; a polynomial of degree >= 2 becomes a
 * PolyLayer when the next linear op (or the output) needs it. Each node is imported by its entry
 * in front/op-table.ts (ONNX_OPS); unsupported nodes are all collected and reported in one
 * UnsupportedModelError.
 */
import type { OnnxGraph, OnnxNode, OnnxValueInfo } from '../../onnx/graph.ts'
import { readOnnxModel } from '../../onnx/read.ts'
import { PrivinferError } from '../../core/errors.ts'
import type { Postprocessing } from '../../core/postprocessing.ts'
import type { LayerModel } from './ir.ts'
import { identityMap } from './front/affine-map.ts'
import { LayerChain } from './front/layer-chain.ts'
import { SUPPORTED_OPS, UNKNOWN_OP_REASON, opEntry } from './front/op-table.ts'
import { NodeProblem } from './front/node-problem.ts'
import {
  OPAQUE,
  constantValue,
  linearActivation,
  type SymbolicValue,
} from './front/symbolic-value.ts'
import { UnsupportedModelError, type UnsupportedNode } from './front/unsupported-model-error.ts'

export interface ImportOptions {
  /**
   * Drop a trailing ArgMax over the feature axis at the graph output: the LayerModel's output is
   * then the scores whose argmax it took. Default false: it is reported as unsupported with a hint
   * to set this option. (A trailing Softmax, LogSoftmax or Sigmoid is always kept out of the HE
   * plan as post-processing: LayerModel.postprocessing.)
   */
  dropArgmaxPreservingOutputOps?: boolean
}

export interface ImportResult {
  model: LayerModel
  /** Output nodes not imported (a dropped ArgMax, the post-processing node), last first. */
  droppedOutputNodes: string[]
}

/** Trailing ops the client applies after decryption, by ONNX op type. */
const POSTPROCESSING_OPS: Readonly<Record<string, Postprocessing>> = {
  Softmax: 'softmax',
  LogSoftmax: 'logSoftmax',
  Sigmoid: 'sigmoid',
}

/**
 * Parses ONNX bytes into a LayerModel.
 *
 * @example
 * const model = importOnnx(readFileSync('models/mnist-mlp/model.onnx'))
 * model.layers.map((layer) => layer.kind) // ['linear', 'poly', 'linear']
 * @throws PrivinferError INVALID_MODEL for bytes that are not ONNX; UnsupportedModelError
 *   (UNSUPPORTED_MODEL) listing every node outside the supported ops or patterns.
 */
export function importOnnx(bytes: Uint8Array, options: ImportOptions = {}): LayerModel {
  return importOnnxGraphWithReport(readOnnxModel(bytes), options).model
}

/** importOnnx on an already parsed graph (onnx/read.ts). */
export function importOnnxGraph(graph: OnnxGraph, options: ImportOptions = {}): LayerModel {
  return importOnnxGraphWithReport(graph, options).model
}

/** importOnnx that also reports which output nodes were dropped (see ImportOptions). */
export function importOnnxWithReport(bytes: Uint8Array, options: ImportOptions = {}): ImportResult {
  return importOnnxGraphWithReport(readOnnxModel(bytes), options)
}

/** importOnnxGraph that also reports which output nodes were dropped (see ImportOptions). */
export function importOnnxGraphWithReport(
  graph: OnnxGraph,
  options: ImportOptions = {},
): ImportResult {
  const problems: UnsupportedNode[] = []
  const signature = graphSignature(graph, problems)
  if (signature === undefined) throw new UnsupportedModelError(problems, SUPPORTED_OPS)
  const { input, output, shape } = signature
  const inputSize = shape.reduce((product, dim) => product * dim, 1)

  const producers = new Map<string, OnnxNode>()
  for (const node of graph.nodes)
    for (const name of node.outputs) if (name) producers.set(name, node)
  const trailing = trailingOutputOps(output.name, producers, options)

  const chain = new LayerChain()
  const values = new Map<string, SymbolicValue>()
  for (const [name, tensor] of graph.initializers) {
    values.set(name, constantValue([...tensor.dims], tensor.values))
  }
  values.set(input.name, linearActivation(identityMap(inputSize), shape, chain.generation))
  const needed = nodesNeededFor(trailing.outputName, producers)
  for (const node of graph.nodes) {
    if (needed.has(node)) importNode(node, values, chain, trailing.hints, problems)
  }
  if (problems.length === 0) {
    finishChain(values.get(trailing.outputName), trailing.outputName, chain, problems)
  }
  if (problems.length > 0) throw new UnsupportedModelError(problems, SUPPORTED_OPS)

  const layers = chain.layers
  const last = [...layers].reverse().find((layer) => layer.kind === 'linear')
  const outputSize = last && last.kind === 'linear' ? last.outFeatures : inputSize
  return {
    model: {
      inputName: input.name,
      inputShape: [1, ...shape],
      inputSize,
      outputName: output.name,
      outputSize,
      layers,
      ...(trailing.postprocessing === undefined ? {} : { postprocessing: trailing.postprocessing }),
    },
    droppedOutputNodes: trailing.droppedOutputNodes,
  }
}

interface GraphSignature {
  input: OnnxValueInfo
  output: OnnxValueInfo
  /** Input shape without the batch dimension. */
  shape: number[]
}

/** The single input and output and the input shape, or undefined with the problems recorded. */
function graphSignature(graph: OnnxGraph, problems: UnsupportedNode[]): GraphSignature | undefined {
  if (graph.inputs.length !== 1) {
    problems.push({
      node: graph.inputs.map((input) => input.name).join(', ') || '(none)',
      opType: 'graph input',
      reason: `the graph has ${graph.inputs.length} inputs; exactly one is supported`,
    })
  }
  if (graph.outputs.length !== 1) {
    problems.push({
      node: graph.outputs.map((output) => output.name).join(', ') || '(none)',
      opType: 'graph output',
      reason: `the graph has ${graph.outputs.length} outputs; exactly one is supported`,
    })
  }
  if (problems.length > 0) return undefined
  const input = graph.inputs[0]
  const shape = logicalInputShape(input.dims)
  if (typeof shape === 'string') {
    problems.push({ node: input.name, opType: 'graph input', reason: shape })
    return undefined
  }
  return { input, output: graph.outputs[0], shape }
}

interface TrailingOutputOps {
  /** The tensor the layer chain must produce (the graph output, or the input of a dropped op). */
  outputName: string
  droppedOutputNodes: string[]
  postprocessing?: Postprocessing
  /** Reasons for output nodes that were not dropped. */
  hints: Map<OnnxNode, string>
}

/**
 * The trailing ops of the graph output: an ArgMax over the features (dropped on request, else
 * reported with a hint), then one Softmax / LogSoftmax over the features or Sigmoid, which
 * becomes post-processing.
 */
function trailingOutputOps(
  graphOutput: string,
  producers: ReadonlyMap<string, OnnxNode>,
  options: ImportOptions,
): TrailingOutputOps {
  let outputName = graphOutput
  const droppedOutputNodes: string[] = []
  const hints = new Map<OnnxNode, string>()
  let producer = producers.get(outputName)
  if (producer?.opType === 'ArgMax' && isOverFeatureAxis(producer)) {
    if (!options.dropArgmaxPreservingOutputOps) {
      hints.set(
        producer,
        `not a polynomial; at the output it preserves the argmax: import with ` +
          `dropArgmaxPreservingOutputOps to drop it (the output is then the scores)`,
      )
      return { outputName, droppedOutputNodes, hints }
    }
    droppedOutputNodes.push(producer.name)
    outputName = producer.inputs[0]
    producer = producers.get(outputName)
  }
  const postprocessing =
    producer && Object.hasOwn(POSTPROCESSING_OPS, producer.opType)
      ? POSTPROCESSING_OPS[producer.opType]
      : undefined
  if (
    producer &&
    postprocessing !== undefined &&
    (postprocessing === 'sigmoid' || isOverFeatureAxis(producer))
  ) {
    droppedOutputNodes.push(producer.name)
    return { outputName: producer.inputs[0], droppedOutputNodes, postprocessing, hints }
  }
  return { outputName, droppedOutputNodes, hints }
}

/** Imports one node through its ONNX_OPS entry; a problem is recorded and its outputs go opaque. */
function importNode(
  node: OnnxNode,
  values: Map<string, SymbolicValue>,
  chain: LayerChain,
  hints: ReadonlyMap<OnnxNode, string>,
  problems: UnsupportedNode[],
): void {
  const setOutputs = (outputs: SymbolicValue[]): void =>
    node.outputs.forEach((name, i) => name && values.set(name, outputs[i] ?? OPAQUE))
  const isDefaultDomain = node.domain === '' || node.domain === 'ai.onnx'
  const entry = isDefaultDomain ? opEntry(node.opType) : undefined
  if (entry?.kind !== 'supported') {
    const reason =
      hints.get(node) ??
      (isDefaultDomain
        ? (entry?.reason ?? UNKNOWN_OP_REASON)
        : `op of custom domain '${node.domain}' is not supported`)
    problems.push({ node: node.name, opType: node.opType, reason })
    setOutputs([])
    return
  }
  try {
    const inputs = node.inputs.map((name) => {
      if (name === '') return undefined
      const value = values.get(name)
      if (!value)
        throw new NodeProblem(
          `input '${name}' is not produced by any node, initializer or graph input`,
        )
      return value
    })
    setOutputs(entry.importer(node, inputs, chain))
  } catch (error) {
    if (!(error instanceof NodeProblem || error instanceof PrivinferError)) throw error
    problems.push({ node: node.name, opType: node.opType, reason: error.message })
    setOutputs([])
  }
}

/** Ends the chain at the graph output, or records why the output cannot end it. */
function finishChain(
  result: SymbolicValue | undefined,
  outputName: string,
  chain: LayerChain,
  problems: UnsupportedNode[],
): void {
  const problem = (reason: string) =>
    problems.push({ node: outputName, opType: 'graph output', reason })
  if (!result || result.kind !== 'activation') {
    problem(
      result ? 'the output does not depend on the input' : 'the output is not produced by any node',
    )
  } else if (result.transposed) {
    problem(
      'the output is a feature-major activation [features, batch]: transpose it back to ' +
        '[batch, features]',
    )
  } else {
    try {
      chain.finish(result)
    } catch (error) {
      if (!(error instanceof NodeProblem)) throw error
      problem(error.message)
    }
  }
}

/** The input shape without batch, or the reason it cannot be used. */
function logicalInputShape(dims: readonly (number | string)[] | undefined): number[] | string {
  if (!dims || dims.length < 2) {
    return `input shape [${dims?.join(', ') ?? ''}] must be [batch, features...] (rank >= 2)`
  }
  const [batch, ...rest] = dims
  if (typeof batch === 'number' && batch !== 1) {
    return `the batch dimension is fixed to ${batch}; export with a symbolic batch (dynamic_axes) or batch 1`
  }
  if (rest.some((dim) => typeof dim !== 'number' || dim <= 0)) {
    return `input shape [${dims.join(', ')}] has unknown dimensions beyond the batch`
  }
  return rest as number[]
}

/** Softmax/LogSoftmax/ArgMax over the last (feature) axis of a [batch, features] tensor. */
function isOverFeatureAxis(node: OnnxNode): boolean {
  const attribute = node.attributes.axis
  const axis =
    attribute && attribute.kind === 'int' ? attribute.value : node.opType === 'ArgMax' ? 0 : -1
  // ASSUME: the tensor is [batch, features] (the chain's output), so axes 1 and -1 coincide;
  // opset < 13 Softmax defaults to axis 1, which is the same axis.
  return axis === -1 || axis === 1 || (node.opType !== 'ArgMax' && attribute === undefined)
}

/** Nodes on a path to `outputName` (dead branches are ignored, not rejected). */
function nodesNeededFor(
  outputName: string,
  producers: ReadonlyMap<string, OnnxNode>,
): Set<OnnxNode> {
  const needed = new Set<OnnxNode>()
  const pending = [outputName]
  while (pending.length > 0) {
    const node = producers.get(pending.pop() ?? '')
    if (!node || needed.has(node)) continue
    needed.add(node)
    pending.push(...node.inputs.filter((name) => name !== ''))
  }
  return needed
}
