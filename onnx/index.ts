/**
 * onnx/: read and write ONNX models as a small typed view (no protobuf types leak out).
 * Imported by service/compiler, training and tests.
 */
export { readOnnxModel } from './read.ts'
export {
  OnnxModelBuilder,
  type OnnxModelBuilderOptions,
  type InitializerOptions,
} from './builder.ts'
export {
  attr,
  floatAttribute,
  intAttribute,
  intsAttribute,
  tensorAttribute,
  type OnnxAttributeInput,
} from './attributes.ts'
export type {
  OnnxAttribute,
  OnnxDim,
  OnnxGraph,
  OnnxNode,
  OnnxTensor,
  OnnxValueInfo,
} from './graph.ts'
export { ONNX_DATA_TYPES, type OnnxDataType } from './data-type.ts'
export { elementCount, type TensorEncoding } from './tensor.ts'
