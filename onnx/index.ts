/**
 * onnx/: read and write ONNX models as a small typed view (no protobuf types leak out).
 * Imported by service/compiler, training and tests.
 */
export { readOnnxModel } from './read.ts'
export {
  OnnxModelBuilder,
  type OnnxModelBuilderOptions,
  type InitializerOptions,
  type OnnxAttributeInput,
} from './builder.ts'
export { attr, intAttribute, floatAttribute, intsAttribute, tensorAttribute } from './attributes.ts'
export type {
  OnnxGraph,
  OnnxNode,
  OnnxTensor,
  OnnxAttribute,
  OnnxValueInfo,
  OnnxDim,
} from './graph.ts'
export { ONNX_DATA_TYPES, type OnnxDataType } from './data-type.ts'
export { elementCount, type TensorEncoding } from './tensor.ts'
