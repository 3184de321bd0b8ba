/**
 * Why a known ONNX op is not importable, with the remedy, for UnsupportedModelError messages.
 */

const NON_POLYNOMIAL =
  'not a polynomial: train with a polynomial activation (x*x, a*x*x + b*x) or fit one in its place'
const LINEAR_NOT_LOWERED =
  'linear, but not lowered by this front end: export it as Gemm/MatMul on the flattened input'

const REASONS: Readonly<Record<string, string>> = {
  Relu: NON_POLYNOMIAL,
  LeakyRelu: NON_POLYNOMIAL,
  PRelu: NON_POLYNOMIAL,
  Elu: NON_POLYNOMIAL,
  Selu: NON_POLYNOMIAL,
  Sigmoid: NON_POLYNOMIAL,
  HardSigmoid: NON_POLYNOMIAL,
  Tanh: NON_POLYNOMIAL,
  Gelu: NON_POLYNOMIAL,
  Erf: NON_POLYNOMIAL,
  Softplus: NON_POLYNOMIAL,
  Exp: NON_POLYNOMIAL,
  Log: NON_POLYNOMIAL,
  Sqrt: NON_POLYNOMIAL,
  Abs: NON_POLYNOMIAL,
  Clip: NON_POLYNOMIAL,
  Max: NON_POLYNOMIAL,
  Min: NON_POLYNOMIAL,
  MaxPool: NON_POLYNOMIAL,
  GlobalMaxPool: NON_POLYNOMIAL,
  Softmax: 'not a polynomial (exp and division)',
  LogSoftmax: 'not a polynomial (exp, log and division)',
  ArgMax: 'not a polynomial (comparison)',
  Conv: LINEAR_NOT_LOWERED,
  ConvTranspose: LINEAR_NOT_LOWERED,
  AveragePool: LINEAR_NOT_LOWERED,
  GlobalAveragePool: LINEAR_NOT_LOWERED,
  Pad: LINEAR_NOT_LOWERED,
  Slice: 'moves data: not supported on activations',
  Split: 'moves data: not supported on activations',
}

/** The reason an op outside LOWERINGS cannot be imported. */
export function unsupportedOpReason(opType: string): string {
  return REASONS[opType] ?? 'not in the supported ops'
}
