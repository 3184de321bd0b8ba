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
  type ModelSummary,
  type PublicInput,
  type StoredKeyInfo,
} from './service-api.ts'
export { toPrediction, type Prediction } from './prediction.ts'
export { preprocessInput } from './preprocess.ts'
export { PrivinferError } from '../core/errors.ts'
export type { ErrorCode } from '../core/errors.ts'
export type { CardSummary, ModelCard } from '../core/card.ts'
export type { TestImage } from '../core/test-image.ts'
export type { InferOptions, CloseOptions } from './session.ts'
export type { OnSessionStep, SessionStep, SessionStepName } from './steps.ts'
export { checkInputRange } from './input-range.ts'
export { mnistStyleDigit } from './mnist-style.ts'
