import { PrivinferError } from '../errors.ts'
import type { ParameterProblem } from './parameter-set.ts'

/**
 * A parameter set that breaks the 128-bit security limits (code PARAMETERS_INSECURE) or that SEAL
 * cannot use (code PARAMETERS_INVALID). `details.problems` lists every problem found.
 */
export class ParametersRejectedError extends PrivinferError {
  readonly problems: readonly ParameterProblem[]
  constructor(problems: readonly ParameterProblem[], description: string) {
    const insecure = problems.some((problem) => problem.insecure)
    super(
      insecure ? 'PARAMETERS_INSECURE' : 'PARAMETERS_INVALID',
      `CKKS parameters ${description} rejected: ${problems.map((problem) => problem.message).join('; ')}`,
      { problems: problems.map(({ code, message }) => ({ code, message })) },
    )
    this.problems = problems
  }
}
