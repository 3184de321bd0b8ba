/**
 * A small typed view of an ONNX model: what onnx/read.ts produces and onnx/builder.ts writes.
 * Numbers are JS numbers (int64 fields converted), tensor values are Float64Array whatever their
 * element type, so consumers never see protobuf or Long types.
 */
import type { OnnxDataType } from './data-type.ts'

/** A dense tensor: an initializer, a Constant's value or a tensor attribute. */
export interface OnnxTensor {
  name: string
  /** Element type as stored in the file. */
  dataType: OnnxDataType
  /** Shape; [] for a 0-d (scalar) tensor, as PyTorch exports Constant scalars. */
  dims: number[]
  /** Row-major values converted to float64; length = product of dims (1 for 0-d). */
  values: Float64Array
}

/** A decoded node attribute; `kind` says which ONNX AttributeProto field it came from. */
export type OnnxAttribute =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'tensor'; value: OnnxTensor }
  | { kind: 'ints'; value: number[] }
  | { kind: 'floats'; value: number[] }
  | { kind: 'strings'; value: string[] }
  | { kind: 'tensors'; value: OnnxTensor[] }
  /** Graph, sparse-tensor and type-proto attributes are kept by name only. */
  | { kind: 'unsupported'; type: number }

export interface OnnxNode {
  /** Node name; read.ts names unnamed nodes `<opType>_<index>` so messages can point at them. */
  name: string
  opType: string
  /** Operator set domain; '' is the default ONNX domain. */
  domain: string
  /** Input tensor names in order; '' marks an omitted optional input. */
  inputs: string[]
  outputs: string[]
  attributes: Readonly<Record<string, OnnxAttribute>>
}

/** One dimension: a size, or a symbolic name (dim_param, e.g. 'batch'; '' when unknown). */
export type OnnxDim = number | string

export interface OnnxValueInfo {
  name: string
  /** Element type, undefined when not a tensor or not recorded. */
  dataType: OnnxDataType | undefined
  /** Declared shape, undefined when the file records none. */
  dims: OnnxDim[] | undefined
}

export interface OnnxGraph {
  name: string
  /** Version of the default ('' / 'ai.onnx') operator set. */
  opset: number
  irVersion: number
  producerName: string
  /** Nodes in file order (ONNX requires topological order). */
  nodes: OnnxNode[]
  /** Initializers by name. */
  initializers: ReadonlyMap<string, OnnxTensor>
  /** Graph inputs that are not initializers (IR < 4 lists initializers as inputs too). */
  inputs: OnnxValueInfo[]
  outputs: OnnxValueInfo[]
}
