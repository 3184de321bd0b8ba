/**
 * OnnxModelBuilder: writes small ONNX models (ModelProto bytes) for the trainer's export and for tests.
 */
import { PrivinferError } from '../core/errors.ts'
import { ONNX_DATA_TYPES, type OnnxDataType } from './data-type.ts'
import type { OnnxAttributeInput } from './attributes.ts'
import type { OnnxDim, OnnxTensor } from './graph.ts'
import {
  onnx,
  type IAttributeProto,
  type IModelProto,
  type INodeProto,
  type ITensorProto,
  type IValueInfoProto,
} from './proto.ts'
import { encodeTensor, type TensorEncoding } from './tensor.ts'

const AttributeType = onnx.AttributeProto.AttributeType

export interface OnnxModelBuilderOptions {
  /** Default-domain operator set version, e.g. 13 (what PyTorch 1.13 exports by default is 14 or 17). */
  opset: number
  /** ModelProto ir_version; default 8 (ONNX 1.10 schema, accepted by onnxruntime 1.30). */
  irVersion?: number
  graphName?: string
  producerName?: string
  producerVersion?: string
}

export interface InitializerOptions {
  /** Where the values go: raw_data (default, like PyTorch) or the typed field (float_data, ...). */
  encoding?: TensorEncoding
  /** Element type; default float. */
  dataType?: OnnxDataType
}

/**
 * Builds an ONNX model step by step. Nodes must be added in topological order.
 *
 * @example
 * const builder = new OnnxModelBuilder({ opset: 13 })
 * builder.addInput('input', ['batch', 4])
 * builder.addInitializer('fc.weight', [3, 4], weights)           // [out, in], like nn.Linear
 * builder.addInitializer('fc.bias', [3], bias, { encoding: 'float' })
 * builder.addNode('Gemm', ['input', 'fc.weight', 'fc.bias'], ['h'], { transB: attr.int(1) })
 * builder.addConstant('two', 2)
 * builder.addNode('Pow', ['h', 'two'], ['output'])
 * builder.addOutput('output', ['batch', 3])
 * writeFileSync('model.onnx', builder.toBytes())
 */
export class OnnxModelBuilder {
  readonly #options: Required<OnnxModelBuilderOptions>
  readonly #inputs: IValueInfoProto[] = []
  readonly #outputs: IValueInfoProto[] = []
  readonly #initializers: ITensorProto[] = []
  readonly #nodes: INodeProto[] = []
  readonly #names = new Set<string>()

  constructor(options: OnnxModelBuilderOptions) {
    this.#options = {
      irVersion: 8,
      graphName: 'privinfer',
      producerName: 'privinfer',
      producerVersion: '0.1.0',
      ...options,
    }
  }

  /** Declares a graph input; a string dim is symbolic (dim_param), e.g. 'batch'. */
  addInput(name: string, dims: OnnxDim[], dataType: OnnxDataType = 'float'): this {
    this.#inputs.push(valueInfo(name, dims, dataType))
    return this
  }

  /** Declares a graph output; dims may be symbolic. */
  addOutput(name: string, dims: OnnxDim[], dataType: OnnxDataType = 'float'): this {
    this.#outputs.push(valueInfo(name, dims, dataType))
    return this
  }

  /**
   * Adds an initializer (a weight). `values` are row-major and must have product(dims) entries.
   * @throws PrivinferError INVALID_MODEL when the count does not match dims.
   */
  addInitializer(
    name: string,
    dims: number[],
    values: ArrayLike<number>,
    options: InitializerOptions = {},
  ): this {
    const tensor: OnnxTensor = {
      name,
      dataType: options.dataType ?? 'float',
      dims,
      values: Float64Array.from(values),
    }
    this.#initializers.push(encodeTensor(tensor, options.encoding ?? 'raw'))
    return this
  }

  /**
   * Adds a node. Attributes use `attr.*` from attributes.ts. The node name defaults to
   * `<opType>_<index>`, as PyTorch names them (`/fc1/Gemm` in newer exports).
   */
  addNode(
    opType: string,
    inputs: string[],
    outputs: string[],
    attributes: Readonly<Record<string, OnnxAttributeInput>> = {},
    name?: string,
  ): this {
    const nodeName = name ?? `${opType}_${this.#nodes.length}`
    if (this.#names.has(nodeName)) {
      throw new PrivinferError('INVALID_MODEL', `duplicate node name '${nodeName}'`)
    }
    this.#names.add(nodeName)
    this.#nodes.push({
      name: nodeName,
      opType,
      input: inputs,
      output: outputs,
      attribute: Object.entries(attributes).map(([key, value]) => encodeAttribute(key, value)),
    })
    return this
  }

  /**
   * Adds a Constant node whose output `name` holds a float tensor: a number gives a 0-d tensor
   * (dims []), as PyTorch exports Python scalars; `{ dims, values }` gives any shape.
   */
  addConstant(
    name: string,
    value: number | { dims: number[]; values: ArrayLike<number>; dataType?: OnnxDataType },
  ): this {
    const tensor: OnnxTensor =
      typeof value === 'number'
        ? { name, dataType: 'float', dims: [], values: Float64Array.of(value) }
        : {
            name,
            dataType: value.dataType ?? 'float',
            dims: value.dims,
            values: Float64Array.from(value.values),
          }
    return this.addNode(
      'Constant',
      [],
      [name],
      { value: { kind: 'tensor', value: tensor } },
      `Constant_${name}`,
    )
  }

  /** Serialized ModelProto. */
  toBytes(): Uint8Array {
    const model: IModelProto = {
      irVersion: this.#options.irVersion,
      producerName: this.#options.producerName,
      producerVersion: this.#options.producerVersion,
      opsetImport: [{ domain: '', version: this.#options.opset }],
      graph: {
        name: this.#options.graphName,
        node: this.#nodes,
        initializer: this.#initializers,
        input: this.#inputs,
        output: this.#outputs,
      },
    }
    return onnx.ModelProto.encode(model).finish()
  }
}

function valueInfo(name: string, dims: OnnxDim[], dataType: OnnxDataType): IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ONNX_DATA_TYPES[dataType],
        shape: {
          dim: dims.map((dim) => (typeof dim === 'number' ? { dimValue: dim } : { dimParam: dim })),
        },
      },
    },
  }
}

function encodeAttribute(name: string, attribute: OnnxAttributeInput): IAttributeProto {
  const encoder = new TextEncoder()
  switch (attribute.kind) {
    case 'int':
      return { name, type: AttributeType.INT, i: attribute.value }
    case 'float':
      return { name, type: AttributeType.FLOAT, f: attribute.value }
    case 'string':
      return { name, type: AttributeType.STRING, s: encoder.encode(attribute.value) }
    case 'tensor':
      return { name, type: AttributeType.TENSOR, t: encodeTensor(attribute.value, 'raw') }
    case 'ints':
      return { name, type: AttributeType.INTS, ints: attribute.value }
    case 'floats':
      return { name, type: AttributeType.FLOATS, floats: attribute.value }
    case 'strings':
      return {
        name,
        type: AttributeType.STRINGS,
        strings: attribute.value.map((s) => encoder.encode(s)),
      }
    case 'tensors':
      return {
        name,
        type: AttributeType.TENSORS,
        tensors: attribute.value.map((t) => encodeTensor(t, 'raw')),
      }
  }
}
