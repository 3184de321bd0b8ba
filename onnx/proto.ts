/**
 * The single place that imports the ONNX protobuf schema (onnx-proto 8, ONNX 1.10 schema, on
 * protobufjs 6). Everything else in onnx/ works on the typed view of graph.ts.
 */
import onnxProto from 'onnx-proto'
import type { onnx as OnnxTypes } from 'onnx-proto'
import type Long from 'long'

/** The generated `onnx` namespace: ModelProto.decode/encode, TensorProto.DataType, ... */
export const onnx = onnxProto.onnx

export type ModelProto = OnnxTypes.ModelProto
export type IModelProto = OnnxTypes.IModelProto
export type INodeProto = OnnxTypes.INodeProto
export type IAttributeProto = OnnxTypes.IAttributeProto
export type ITensorProto = OnnxTypes.ITensorProto
export type IValueInfoProto = OnnxTypes.IValueInfoProto

/**
 * protobufjs decodes int64 fields as `Long` when the `long` package is present, as `number`
 * otherwise. Returns a JS number, or undefined when the value is not a safe integer.
 */
export function int64ToNumber(value: number | Long | null | undefined): number | undefined {
  if (value === null || value === undefined) return 0
  const asNumber = typeof value === 'number' ? value : value.toNumber()
  return Number.isSafeInteger(asNumber) ? asNumber : undefined
}
