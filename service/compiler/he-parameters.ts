/**
 * The CKKS parameters a compiled model runs with: core's ParameterSet plus the two extra scales the
 * plan uses (see ScaleRule in plan.ts).
 */
import type { ParameterSet } from '../../core/ckks/parameter-set.ts'

export interface HeParameters extends ParameterSet {
  /** log2 of the plaintext scale of lazily rescaled products ('fixed' scale rule). */
  weightScaleBits: number
  /** log2 of the scale of the output ciphertext (smaller → smaller q0 → smaller output). */
  outputScaleBits: number
}

/** Target scale bits of a 'target' scale rule role. */
export function targetBits(parameters: HeParameters, role: 'hidden' | 'output'): number {
  return role === 'output' ? parameters.outputScaleBits : parameters.scaleBits
}
