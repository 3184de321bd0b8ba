/**
 * ONNX_OPS: every ONNX op (default domain) the front end knows, in one table: the importer of each
 * supported op (ops/*.ts, one file per family) and, for known unsupported ops, the reason and the
 * remedy. The supported set, UnsupportedModelError's message and docs/onnx-ops.md are all derived
 * from this table, so they cannot drift apart (test/service/compiler/front/op-table.test.ts).
 *
 * Adding an op: write its importer in the family file under ops/ (or a new file), add one line
 * here, regenerate docs/onnx-ops.md (`node scripts/write-onnx-ops-doc.ts`).
 */
import { erf, gelu, leakyRelu, relu, sigmoid, tanh } from './ops/activations.ts'
import { add, div, mul, neg, pow, sub } from './ops/arithmetic.ts'
import { cast, concat, constant, gather, shape } from './ops/constants.ts'
import { gemm, matMul } from './ops/linear.ts'
import { averagePool } from './ops/average-pool.ts'
import { conv } from './ops/conv.ts'
import { globalAveragePool } from './ops/global-average-pool.ts'
import { pad } from './ops/pad.ts'
import { batchNormalization } from './ops/normalization.ts'
import { flatten, passThrough, reshape, squeeze, transposeOp, unsqueeze } from './ops/shape.ts'
import type { OpImporter } from './op-importer.ts'

/** A supported op: its importer and what it accepts (for the docs). */
export interface SupportedOp {
  kind: 'supported'
  importer: OpImporter
  notes: string
}

/** A known op the front end rejects, with the reason and the remedy shown to the user. */
export interface UnsupportedOp {
  kind: 'unsupported'
  reason: string
}

export type OpEntry = SupportedOp | UnsupportedOp

const supported = (importer: OpImporter, notes: string): SupportedOp => ({
  kind: 'supported',
  importer,
  notes,
})
const unsupported = (reason: string): UnsupportedOp => ({ kind: 'unsupported', reason })

const NON_POLYNOMIAL =
  'not a polynomial, and not among the activations the compiler fits (Relu, LeakyRelu, Sigmoid, ' +
  'Tanh, Erf, Gelu): use one of those, or a polynomial activation (x*x, a*x*x + b*x)'
const FITTED = 'fitted by a polynomial on the calibrated range of each feature'
const LINEAR_NOT_IMPORTED =
  'linear, but not lowered by this front end: export it as Gemm/MatMul on the flattened input'
const MOVES_DATA = 'moves data: not supported on activations'
const MAX_POOL =
  'a maximum is not a polynomial: use AveragePool (linear, exact under HE) in its place and retrain'

/** Reason for an op that is in no table entry. */
export const UNKNOWN_OP_REASON = 'not in the supported ops'

/**
 * The op table, by family. Order matters for the supported entries only: it is the order the
 * error message and the docs list them in.
 */
export const ONNX_OPS: Readonly<Record<string, OpEntry>> = {
  // linear algebra (ops/linear.ts)
  Gemm: supported(gemm, 'B constant; alpha, beta, transB; transA=1 on a feature-major activation'),
  MatMul: supported(matMul, 'activation x constant 2-D matrix'),
  // window maps on NCHW images (ops/conv.ts, average-pool.ts, global-average-pool.ts, pad.ts)
  Conv: supported(
    conv,
    '2-D, W constant, group 1, dilation 1, any strides and (asymmetric) pads, auto_pad, bias optional',
  ),
  AveragePool: supported(averagePool, '2-D, ceil_mode 0, dilation 1, count_include_pad, auto_pad'),
  GlobalAveragePool: supported(globalAveragePool, '2-D'),
  Pad: supported(pad, 'constant mode, value 0, H and W only (torch exports AvgPool2d with one)'),
  ConvTranspose: unsupported(LINEAR_NOT_IMPORTED),
  // element-wise arithmetic (ops/arithmetic.ts)
  Add: supported(add, 'with a constant (broadcast), or of two activations of one chain'),
  Sub: supported(sub, 'as Add'),
  Mul: supported(mul, 'by a constant, or of two polynomials of the same tensor (x*x)'),
  Div: supported(div, 'by a constant'),
  Neg: supported(neg, ''),
  Pow: supported(pow, 'constant integer exponent 1..16'),
  // normalization (ops/normalization.ts)
  BatchNormalization: supported(batchNormalization, 'inference mode; folded into the affine map'),
  // data-free shape ops (ops/shape.ts)
  Identity: supported(passThrough, ''),
  Dropout: supported(passThrough, 'inference: the identity'),
  Flatten: supported(flatten, ''),
  Reshape: supported(reshape, 'batch stays first; 0 and -1 in the target shape'),
  Squeeze: supported(squeeze, 'not the batch dimension'),
  Unsqueeze: supported(unsqueeze, 'not before the batch dimension'),
  Transpose: supported(
    transposeOp,
    'of constants; of a 2-D activation (layout flag only); of size-1 axes (moves no data)',
  ),
  Slice: unsupported(MOVES_DATA),
  Split: unsupported(MOVES_DATA),
  // constants and shape arithmetic (ops/constants.ts)
  Constant: supported(constant, 'numeric dense values'),
  Shape: supported(shape, 'start/end'),
  Gather: supported(gather, 'of constants'),
  Concat: supported(concat, 'of constants'),
  Cast: supported(cast, 'of constants; of an activation to a float type'),
  // activations that are not polynomials, fitted by the compiler (ops/activations.ts)
  Relu: supported(relu, FITTED),
  LeakyRelu: supported(leakyRelu, `${FITTED}; alpha`),
  Sigmoid: supported(sigmoid, `${FITTED}; at the output: post-processing on the client`),
  Tanh: supported(tanh, FITTED),
  Erf: supported(erf, `${FITTED} (torch's GELU: Div, Erf, Add, Mul, Mul)`),
  Gelu: supported(gelu, `${FITTED}; approximate none or tanh`),
  PRelu: unsupported(NON_POLYNOMIAL),
  Elu: unsupported(NON_POLYNOMIAL),
  Selu: unsupported(NON_POLYNOMIAL),
  HardSigmoid: unsupported(NON_POLYNOMIAL),
  Softplus: unsupported(NON_POLYNOMIAL),
  Exp: unsupported(NON_POLYNOMIAL),
  Log: unsupported(NON_POLYNOMIAL),
  Sqrt: unsupported(NON_POLYNOMIAL),
  Abs: unsupported(NON_POLYNOMIAL),
  Clip: unsupported(NON_POLYNOMIAL),
  Max: unsupported(NON_POLYNOMIAL),
  Min: unsupported(NON_POLYNOMIAL),
  MaxPool: unsupported(MAX_POOL),
  GlobalMaxPool: unsupported(MAX_POOL),
  Softmax: unsupported(
    'not a polynomial (exp and division); at the graph output it is post-processing the client applies',
  ),
  LogSoftmax: unsupported(
    'not a polynomial (exp, log and division); at the graph output it is post-processing the client applies',
  ),
  ArgMax: unsupported('not a polynomial (comparison)'),
}

/** The table entry of an op of the default domain, or undefined for an op the table lacks. */
export function opEntry(opType: string): OpEntry | undefined {
  return Object.hasOwn(ONNX_OPS, opType) ? ONNX_OPS[opType] : undefined
}

/** Names of the supported ops, in table order, for messages and docs. */
export const SUPPORTED_OPS: readonly string[] = Object.keys(ONNX_OPS).filter(
  (opType) => ONNX_OPS[opType].kind === 'supported',
)

/** docs/onnx-ops.md: the supported ops with their notes, then the rejected ones with the reason. */
export function onnxOpsMarkdown(): string {
  const rows = (kind: OpEntry['kind']) =>
    Object.entries(ONNX_OPS).filter(([, entry]) => entry.kind === kind)
  const lines = [
    '# ONNX ops',
    '',
    'Generated from service/compiler/front/op-table.ts by `node scripts/write-onnx-ops-doc.ts`;',
    'a test fails when this file and the table differ. Default domain (`ai.onnx`) only.',
    '',
    '## Supported',
    '',
    '| op | accepted |',
    '| --- | --- |',
    ...rows('supported').map(
      ([opType, entry]) => `| ${opType} | ${(entry as SupportedOp).notes || 'yes'} |`,
    ),
    '',
    '## Rejected, with the reason given',
    '',
    '| op | reason |',
    '| --- | --- |',
    ...rows('unsupported').map(
      ([opType, entry]) => `| ${opType} | ${(entry as UnsupportedOp).reason} |`,
    ),
    '',
    `Any other op: "${UNKNOWN_OP_REASON}". The whole model is checked first; one error lists every`,
    'problem (UNSUPPORTED_MODEL, `details.unsupported`).',
    '',
  ]
  return lines.join('\n')
}
