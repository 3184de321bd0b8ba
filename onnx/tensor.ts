/**
 * TensorProto <-> OnnxTensor. Reads raw_data (little-endian) and the typed repeated fields
 * (float_data, double_data, int32_data, int64_data, uint64_data); writes raw_data or the typed field.
 */
import type Long from 'long'
import { PrivinferError } from '../core/errors.ts'
import {
  ONNX_DATA_TYPES,
  ONNX_ELEMENT_BYTES,
  dataTypeName,
  type OnnxDataType,
} from './data-type.ts'
import type { OnnxTensor } from './graph.ts'
import { int64ToNumber, type ITensorProto } from './proto.ts'

/**
 * How a writer stores tensor values: `raw` = raw_data bytes (what PyTorch writes for weights);
 * `typed` = the repeated field of the element type (float_data, double_data, int64_data, ...).
 * `float` is an alias of `typed` (float_data for float tensors).
 */
export type TensorEncoding = 'raw' | 'typed' | 'float'

const EXTERNAL = 1 // TensorProto.DataLocation.EXTERNAL

/** Number of elements for a shape; 1 for a 0-d tensor. */
export function elementCount(dims: readonly number[]): number {
  return dims.reduce((product, dim) => product * dim, 1)
}

/**
 * Decodes a TensorProto into float64 values.
 * @throws PrivinferError INVALID_MODEL when the shape and data disagree, UNSUPPORTED_MODEL for
 *   string/complex/bfloat16 tensors or external data.
 */
export function decodeTensor(proto: ITensorProto, where: string): OnnxTensor {
  const name = proto.name ?? ''
  const label = `${where}${name ? ` '${name}'` : ''}`
  const dataType = dataTypeName(proto.dataType ?? 0)
  if (dataType === undefined) {
    throw new PrivinferError(
      'UNSUPPORTED_MODEL',
      `${label}: tensor element type ${proto.dataType ?? 0} is not supported (numeric tensors only)`,
      { tensor: name, dataType: proto.dataType },
    )
  }
  if (proto.dataLocation === EXTERNAL || (proto.externalData?.length ?? 0) > 0) {
    throw new PrivinferError(
      'UNSUPPORTED_MODEL',
      `${label}: external tensor data is not supported`,
      {
        tensor: name,
      },
    )
  }
  const dims = (proto.dims ?? []).map((dim) => int64ToNumber(dim))
  if (dims.some((dim) => dim === undefined || dim < 0)) {
    throw new PrivinferError('INVALID_MODEL', `${label}: invalid dims`, { tensor: name })
  }
  const shape = dims as number[]
  const count = elementCount(shape)
  const values = readValues(proto, dataType, label)
  if (values.length !== count) {
    throw new PrivinferError(
      'INVALID_MODEL',
      `${label}: dims [${shape.join(', ')}] need ${count} values, the tensor holds ${values.length}`,
      { tensor: name, expected: count, got: values.length },
    )
  }
  return { name, dataType, dims: shape, values }
}

function readValues(proto: ITensorProto, dataType: OnnxDataType, label: string): Float64Array {
  const raw = proto.rawData
  if (raw && raw.length > 0) return readRaw(raw, dataType, label)
  switch (dataType) {
    case 'float':
      return Float64Array.from(proto.floatData ?? [])
    case 'double':
      return Float64Array.from(proto.doubleData ?? [])
    case 'int64':
      return int64Values(proto.int64Data ?? [], label)
    case 'uint32':
    case 'uint64':
      return int64Values(proto.uint64Data ?? [], label)
    case 'float16':
      return Float64Array.from(proto.int32Data ?? [], halfToNumber)
    default:
      // int32, int16, int8, uint16, uint8 and bool all live in int32_data.
      return Float64Array.from(proto.int32Data ?? [])
  }
}

function int64Values(values: (number | Long)[], label: string): Float64Array {
  const out = new Float64Array(values.length)
  for (let i = 0; i < values.length; i++) {
    const value = int64ToNumber(values[i])
    if (value === undefined) {
      throw new PrivinferError(
        'INVALID_MODEL',
        `${label}: int64 value out of the safe integer range`,
      )
    }
    out[i] = value
  }
  return out
}

function readRaw(raw: Uint8Array, dataType: OnnxDataType, label: string): Float64Array {
  const width = ONNX_ELEMENT_BYTES[dataType]
  if (raw.length % width !== 0) {
    throw new PrivinferError(
      'INVALID_MODEL',
      `${label}: raw_data holds ${raw.length} bytes, not a multiple of ${width} (${dataType})`,
    )
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength)
  const count = raw.length / width
  const out = new Float64Array(count)
  for (let i = 0; i < count; i++) {
    const at = i * width
    switch (dataType) {
      case 'float':
        out[i] = view.getFloat32(at, true)
        break
      case 'double':
        out[i] = view.getFloat64(at, true)
        break
      case 'int64':
      case 'uint64': {
        const value =
          dataType === 'int64' ? view.getBigInt64(at, true) : view.getBigUint64(at, true)
        if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
          throw new PrivinferError(
            'INVALID_MODEL',
            `${label}: int64 value out of the safe integer range`,
          )
        }
        out[i] = Number(value)
        break
      }
      case 'int32':
        out[i] = view.getInt32(at, true)
        break
      case 'uint32':
        out[i] = view.getUint32(at, true)
        break
      case 'int16':
        out[i] = view.getInt16(at, true)
        break
      case 'uint16':
        out[i] = view.getUint16(at, true)
        break
      case 'float16':
        out[i] = halfToNumber(view.getUint16(at, true))
        break
      case 'int8':
        out[i] = view.getInt8(at)
        break
      default:
        out[i] = view.getUint8(at)
    }
  }
  return out
}

/** IEEE 754 binary16 bits to a number. */
function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1
  const exponent = (bits >> 10) & 0x1f
  const fraction = bits & 0x3ff
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024)
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024)
}

/**
 * Encodes a tensor as a TensorProto. float16 is written to raw_data only.
 * @throws PrivinferError INVALID_MODEL when values.length does not match dims.
 */
export function encodeTensor(tensor: OnnxTensor, encoding: TensorEncoding): ITensorProto {
  const count = elementCount(tensor.dims)
  if (tensor.values.length !== count) {
    throw new PrivinferError(
      'INVALID_MODEL',
      `tensor '${tensor.name}': dims [${tensor.dims.join(', ')}] need ${count} values, got ${tensor.values.length}`,
    )
  }
  const proto: ITensorProto = {
    name: tensor.name,
    dataType: ONNX_DATA_TYPES[tensor.dataType],
    dims: [...tensor.dims],
  }
  const values = Array.from(tensor.values)
  if (encoding === 'raw' || tensor.dataType === 'float16') {
    proto.rawData = writeRaw(values, tensor.dataType)
    return proto
  }
  switch (tensor.dataType) {
    case 'float':
      proto.floatData = values
      break
    case 'double':
      proto.doubleData = values
      break
    case 'int64':
      proto.int64Data = values
      break
    case 'uint32':
    case 'uint64':
      proto.uint64Data = values
      break
    default:
      proto.int32Data = values
  }
  return proto
}

function writeRaw(values: number[], dataType: OnnxDataType): Uint8Array {
  const width = ONNX_ELEMENT_BYTES[dataType]
  const bytes = new Uint8Array(values.length * width)
  const view = new DataView(bytes.buffer)
  values.forEach((value, i) => {
    const at = i * width
    switch (dataType) {
      case 'float':
        view.setFloat32(at, value, true)
        break
      case 'double':
        view.setFloat64(at, value, true)
        break
      case 'int64':
        view.setBigInt64(at, BigInt(Math.trunc(value)), true)
        break
      case 'uint64':
        view.setBigUint64(at, BigInt(Math.trunc(value)), true)
        break
      case 'int32':
        view.setInt32(at, value, true)
        break
      case 'uint32':
        view.setUint32(at, value, true)
        break
      case 'int16':
        view.setInt16(at, value, true)
        break
      case 'uint16':
        view.setUint16(at, value, true)
        break
      case 'float16':
        view.setUint16(at, numberToHalf(value), true)
        break
      case 'int8':
        view.setInt8(at, value)
        break
      default:
        view.setUint8(at, value)
    }
  })
  return bytes
}

/** Number to IEEE 754 binary16 bits (round to nearest, via float32). */
function numberToHalf(value: number): number {
  const f32 = new Float32Array([value])
  const bits = new Uint32Array(f32.buffer)[0]
  const sign = (bits >>> 16) & 0x8000
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15
  const mantissa = bits & 0x7fffff
  if (Number.isNaN(value)) return 0x7e00
  if (exponent >= 0x1f) return sign | 0x7c00
  if (exponent <= 0) {
    if (exponent < -10) return sign
    const full = mantissa | 0x800000
    return sign | Math.round(full / 2 ** (14 - exponent))
  }
  // Addition, not OR: a mantissa that rounds up to 1024 carries into the exponent.
  return sign | ((exponent << 10) + Math.round(mantissa / 0x2000))
}
