/**
 * SlotsExceededError: a layer or the input layout does not fit the slots of the ring being tried.
 * compile.ts catches exactly this error in its ring search and moves to a larger N; any other error
 * of lowering is a bug or a model problem and propagates (never a NO_PARAMETERS_FIT).
 */
import { PrivinferError } from '../../core/errors.ts'

export class SlotsExceededError extends PrivinferError {
  constructor(message: string) {
    super('PLAN_INVALID', message)
  }
}
