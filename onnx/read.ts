/**
 * readOnnxModel: ONNX protobuf bytes -> the typed OnnxGraph view (graph.ts).
 */
import { PrivinferError } from '../core/errors.ts'
import { dataTypeName } from './data-type.ts'
import type {
  OnnxAttribute,
  OnnxDim,
  OnnxGraph,
  OnnxNode,
  OnnxTensor,
  OnnxValueInfo,
} from './graph.ts'
import {
  int64ToNumber,
  onnx,
  type IAttributeProto,
  type INodeProto,
  type IValueInfoProto,
  type ModelProto,
} from './proto.ts'
import { decodeTensor } from './tensor.ts'

const AttributeType = onnx.AttributeProto.AttributeType

/**
 * Parses an ONNX model (ModelProto bytes) into a typed graph: nodes with decoded attributes,
 * initializers as Float64Array with dims (raw_data little-endian or float_data/double_data/int64_data),
 * graph inputs (initializers excluded) and outputs with their shapes, and the default-domain opset.
 *
 * @example
 * const graph = readOnnxModel(readFileSync('models/mnist/model.onnx'))
 * graph.nodes.map((node) => node.opType) // ['Gemm', 'Mul', 'Gemm']
 * @throws PrivinferError INVALID_MODEL when the bytes are not a protobuf ModelProto with a graph,
 *   or a tensor's data disagrees with its dims; UNSUPPORTED_MODEL for non-numeric or external tensors.
 */
export function readOnnxModel(bytes: Uint8Array): OnnxGraph {
  let model: ModelProto
  try {
    model = onnx.ModelProto.decode(bytes)
  } catch (cause) {
    throw new PrivinferError(
      'INVALID_MODEL',
      `not an ONNX model: protobuf decoding failed (${(cause as Error).message})`,
      { bytes: bytes.length },
      { cause },
    )
  }
  const graph = model.graph
  if (!graph) {
    throw new PrivinferError('INVALID_MODEL', 'not an ONNX model: the ModelProto has no graph', {
      bytes: bytes.length,
    })
  }
  const irVersion = int64ToNumber(model.irVersion) ?? 0
  if (irVersion <= 0) {
    throw new PrivinferError('INVALID_MODEL', 'not an ONNX model: ir_version is missing', {
      bytes: bytes.length,
    })
  }
  const defaultOpset = model.opsetImport.find(
    (entry) => !entry.domain || entry.domain === 'ai.onnx',
  )
  const opset = int64ToNumber(defaultOpset?.version) ?? 0

  const initializers = new Map<string, OnnxTensor>()
  for (const [index, proto] of (graph.initializer ?? []).entries()) {
    const tensor = decodeTensor(proto, `initializer ${index}`)
    initializers.set(tensor.name, tensor)
  }
  const nodes = (graph.node ?? []).map((proto, index) => readNode(proto, index))
  if (nodes.some((node) => node.opType === '')) {
    throw new PrivinferError('INVALID_MODEL', 'not an ONNX model: a node has no op_type')
  }
  return {
    name: graph.name ?? '',
    opset,
    irVersion,
    producerName: model.producerName ?? '',
    nodes,
    initializers,
    inputs: (graph.input ?? [])
      .filter((input) => !initializers.has(input.name ?? ''))
      .map(readValueInfo),
    outputs: (graph.output ?? []).map(readValueInfo),
  }
}

function readNode(proto: INodeProto, index: number): OnnxNode {
  const opType = proto.opType ?? ''
  const name = proto.name || `${opType}_${index}`
  const attributes: Record<string, OnnxAttribute> = {}
  for (const attribute of proto.attribute ?? []) {
    attributes[attribute.name ?? ''] = readAttribute(
      attribute,
      `node '${name}' attribute '${attribute.name}'`,
    )
  }
  return {
    name,
    opType,
    domain: proto.domain ?? '',
    inputs: [...(proto.input ?? [])],
    outputs: [...(proto.output ?? [])],
    attributes,
  }
}

function readAttribute(proto: IAttributeProto, where: string): OnnxAttribute {
  const ints = (values: Parameters<typeof int64ToNumber>[0][]): number[] =>
    values.map((value) => {
      const number = int64ToNumber(value)
      if (number === undefined)
        throw new PrivinferError('INVALID_MODEL', `${where}: int64 out of range`)
      return number
    })
  switch (proto.type) {
    case AttributeType.INT:
      return { kind: 'int', value: ints([proto.i])[0] }
    case AttributeType.FLOAT:
      return { kind: 'float', value: proto.f ?? 0 }
    case AttributeType.STRING:
      return { kind: 'string', value: new TextDecoder().decode(proto.s ?? new Uint8Array()) }
    case AttributeType.TENSOR:
      return { kind: 'tensor', value: decodeTensor(proto.t ?? {}, where) }
    case AttributeType.INTS:
      return { kind: 'ints', value: ints(proto.ints ?? []) }
    case AttributeType.FLOATS:
      return { kind: 'floats', value: [...(proto.floats ?? [])] }
    case AttributeType.STRINGS:
      return {
        kind: 'strings',
        value: (proto.strings ?? []).map((s) => new TextDecoder().decode(s)),
      }
    case AttributeType.TENSORS:
      return { kind: 'tensors', value: (proto.tensors ?? []).map((t) => decodeTensor(t, where)) }
    default:
      return { kind: 'unsupported', type: proto.type ?? 0 }
  }
}

function readValueInfo(proto: IValueInfoProto): OnnxValueInfo {
  const tensorType = proto.type?.tensorType
  const dims: OnnxDim[] | undefined = tensorType?.shape
    ? (tensorType.shape.dim ?? []).map((dim) =>
        dim.dimParam
          ? dim.dimParam
          : dim.dimValue !== undefined && dim.dimValue !== null
            ? (int64ToNumber(dim.dimValue) ?? '')
            : '',
      )
    : undefined
  return {
    name: proto.name ?? '',
    dataType: tensorType ? dataTypeName(tensorType.elemType ?? 0) : undefined,
    dims,
  }
}
