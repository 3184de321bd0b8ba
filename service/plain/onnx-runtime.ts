/**
 * The plaintext reference path: the same ONNX bytes the compiler imports, run by onnxruntime-node
 * (CPU). Used to check the compiled model and to evaluate plaintext accuracy on many inputs.
 */
import ort from 'onnxruntime-node'
import { PrivinferError } from '../../core/errors.ts'
import { readOnnxModel } from '../../onnx/read.ts'
import type { OnnxDim } from '../../onnx/graph.ts'

export interface PlainModelOptions {
  /** Rows per onnxruntime call when the batch dimension is symbolic. Default 256. */
  batchSize?: number
  /** onnxruntime intra-op threads. Default 1: the machine's cores are shared with the HE workers. */
  threads?: number
}

/** A loaded ONNX model that runs plaintext vectors in batches. */
export interface PlainModel {
  /** Graph input and output names. */
  readonly inputName: string
  readonly outputName: string
  /** Declared input shape without the batch dimension, e.g. [1, 28, 28]. */
  readonly inputShape: readonly number[]
  /** Input elements per example (product of inputShape). */
  readonly inputSize: number
  /** Output elements per example. */
  readonly outputSize: number
  /**
   * Runs every example (flattened, row-major, inputSize values each) and returns one output
   * vector per example, in order. Values are converted to the model's input type (float32 usually).
   * @throws PrivinferError INPUT_INVALID when an example has the wrong length.
   */
  run(inputs: readonly (Float64Array | readonly number[])[]): Promise<Float64Array[]>
  /** Releases the onnxruntime session. */
  close(): Promise<void>
}

/**
 * Loads ONNX bytes into an onnxruntime-node session. The first input and first output are used;
 * the first input dimension is the batch: symbolic (dim_param) dims take up to `batchSize` rows per
 * call, a fixed one (e.g. 1) takes exactly that many (the last chunk is zero-padded).
 *
 * @example
 * const model = await createPlainModel(readFileSync('models/mnist/model.onnx'))
 * const logits = await model.run(images) // Float64Array[] of length images.length
 * await model.close()
 * @throws PrivinferError INVALID_MODEL when the bytes are not ONNX, onnxruntime rejects them, or
 *   the input shape is not fully known apart from the batch dimension.
 */
export async function createPlainModel(
  onnxBytes: Uint8Array,
  options: PlainModelOptions = {},
): Promise<PlainModel> {
  const { input, output, batchDim, shape, inputSize, inputType } = plainModelSignature(
    readOnnxModel(onnxBytes),
  )
  const rowsPerCall =
    typeof batchDim === 'number' ? batchDim : Math.max(1, options.batchSize ?? 256)

  const session = await createSession(onnxBytes, options.threads ?? 1)

  let outputSize = declaredSize(output.dims)

  async function runChunk(
    rows: readonly (Float64Array | readonly number[])[],
  ): Promise<Float64Array[]> {
    const data =
      inputType === 'float64'
        ? new Float64Array(rowsPerCall * inputSize)
        : new Float32Array(rowsPerCall * inputSize)
    const feedRows = typeof batchDim === 'number' ? rowsPerCall : rows.length
    rows.forEach((row, index) => data.set(row, index * inputSize))
    const tensor = new ort.Tensor(inputType, data.subarray(0, feedRows * inputSize), [
      feedRows,
      ...shape,
    ])
    const results = await session.run({ [input.name]: tensor })
    const result = results[output.name]
    const values = result.data as Float32Array | Float64Array
    const perRow = values.length / feedRows
    outputSize ??= perRow
    const outputs: Float64Array[] = []
    for (let row = 0; row < rows.length; row++) {
      outputs.push(Float64Array.from(values.subarray(row * perRow, (row + 1) * perRow)))
    }
    return outputs
  }

  if (outputSize === undefined) {
    // The output shape is not declared: learn it from one zero example.
    await runChunk([new Float64Array(inputSize)])
  }

  return {
    inputName: input.name,
    outputName: output.name,
    inputShape: shape,
    inputSize,
    get outputSize(): number {
      return outputSize ?? 0
    },
    async run(inputs) {
      inputs.forEach((row, index) => {
        if (row.length !== inputSize) {
          throw new PrivinferError(
            'INPUT_INVALID',
            `input ${index} has ${row.length} values, the model expects ${inputSize}`,
            { index, got: row.length, expected: inputSize },
          )
        }
      })
      const outputs: Float64Array[] = []
      for (let start = 0; start < inputs.length; start += rowsPerCall) {
        outputs.push(...(await runChunk(inputs.slice(start, start + rowsPerCall))))
      }
      return outputs
    },
    async close() {
      await session.release()
    },
  }
}

/** The graph's input and output, the batch dimension split off the input shape, checked. */
function plainModelSignature(graph: ReturnType<typeof readOnnxModel>) {
  const input = graph.inputs[0]
  const output = graph.outputs[0]
  if (!input || !output) {
    throw new PrivinferError('INVALID_MODEL', 'the ONNX graph declares no input or no output')
  }
  const { batchDim, shape } = splitBatch(input.dims, input.name)
  const inputSize = shape.reduce((product, dim) => product * dim, 1)
  const inputType: 'float64' | 'float32' = input.dataType === 'double' ? 'float64' : 'float32'
  if (input.dataType !== undefined && input.dataType !== 'float' && input.dataType !== 'double') {
    throw new PrivinferError(
      'INVALID_MODEL',
      `input '${input.name}' has type ${input.dataType}, expected float or double`,
    )
  }
  return { input, output, batchDim, shape, inputSize, inputType }
}

/** An onnxruntime session of the model, or INVALID_MODEL with onnxruntime's reason. */
async function createSession(
  onnxBytes: Uint8Array,
  threads: number,
): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(onnxBytes, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
    })
  } catch (cause) {
    throw new PrivinferError(
      'INVALID_MODEL',
      `onnxruntime could not load the model: ${(cause as Error).message}`,
      {},
      { cause },
    )
  }
}

function splitBatch(
  dims: OnnxDim[] | undefined,
  name: string,
): { batchDim: OnnxDim; shape: number[] } {
  if (!dims || dims.length === 0) {
    throw new PrivinferError('INVALID_MODEL', `input '${name}' has no declared shape`)
  }
  const [batchDim, ...rest] = dims
  if (rest.some((dim) => typeof dim !== 'number')) {
    throw new PrivinferError(
      'INVALID_MODEL',
      `input '${name}' has symbolic dims beyond the batch: [${dims.join(', ')}]`,
    )
  }
  return { batchDim, shape: rest as number[] }
}

/** Output elements per example from the declared shape, or undefined (known after the first run). */
function declaredSize(dims: OnnxDim[] | undefined): number | undefined {
  if (!dims || dims.length === 0) return undefined
  const rest = dims.slice(1)
  return rest.every((dim) => typeof dim === 'number')
    ? rest.reduce((p, d) => p * (d as number), 1)
    : undefined
}
