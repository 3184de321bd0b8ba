/**
 * ONNX tensor element types by name, and their TensorProto.DataType numbers (onnx.proto).
 */

/** Element types that onnx/ can read and write. */
export const ONNX_DATA_TYPES = {
  float: 1,
  uint8: 2,
  int8: 3,
  uint16: 4,
  int16: 5,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  double: 11,
  uint32: 12,
  uint64: 13,
} as const

export type OnnxDataType = keyof typeof ONNX_DATA_TYPES

/** Bytes per element in raw_data (little-endian). */
export const ONNX_ELEMENT_BYTES: Readonly<Record<OnnxDataType, number>> = {
  float: 4,
  uint8: 1,
  int8: 1,
  uint16: 2,
  int16: 2,
  int32: 4,
  int64: 8,
  bool: 1,
  float16: 2,
  double: 8,
  uint32: 4,
  uint64: 8,
}

/** The name of an ONNX DataType number, or undefined for types onnx/ does not handle (string, complex, bfloat16). */
export function dataTypeName(code: number): OnnxDataType | undefined {
  for (const [name, value] of Object.entries(ONNX_DATA_TYPES)) {
    if (value === code) return name as OnnxDataType
  }
  return undefined
}
