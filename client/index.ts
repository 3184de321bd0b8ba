/** privinfer client library: public API. */
export {
  PrivinferClient,
  type OpenSessionOptions,
  type PrivinferClientOptions,
} from './privinfer-client.ts'
export { PrivinferSession } from './session.ts'
export {
  ServiceApi,
  markPublic,
  type EncryptedOutput,
  type PublicInput,
  type StoredKeyInfo,
} from './service-api.ts'
export { toPrediction, type Prediction } from './prediction.ts'
export { preprocessInput } from './preprocess.ts'
export type { ModelSummary } from '../core/card.ts'
export { PrivinferError } from '../core/errors.ts'
export type { ErrorCode } from '../core/errors.ts'
export type { ModelCard } from '../core/card.ts'
export type { TestImage } from '../core/test-image.ts'
export type { InferOptions, CloseOptions } from './session.ts'
export type { OnSessionStep, SessionStep, SessionStepName } from './steps.ts'
export { checkInputRange } from './input-range.ts'
export { mnistStyleDigit } from './mnist-style.ts'
