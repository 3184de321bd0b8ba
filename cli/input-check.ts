/**
 * Input vectors read by the CLI (predict --input, infer --input), checked against the model card before
 * any key is made: the length, and the value range the card declares (card.input.range). 0-255
 * pixels given to a [0, 1] model are scaled by 1/255, with a note on stderr (the library itself never
 * rescales: it rejects them, client/input-range.ts).
 */
import type { ModelCard } from '../core/card.ts'
import { PrivinferError } from '../core/errors.ts'
import { checkInputRange, looksLike8BitImage } from '../client/input-range.ts'

export interface FitOptions {
  /** The option the vectors came from, for messages (e.g. "--input"). */
  source: string
  /**
   * The vectors are already preprocessed (model inputs, card.input.size long), as `privinfer infer`
   * reads them. The range is then checked only when the preprocessing keeps it (none, avgpool).
   */
  preprocessed?: boolean
  /** Where the note about scaling goes (default: stderr). */
  note?: (text: string) => void
}

/**
 * Returns the vectors ready for the client: right length, 0-255 images scaled to [0, 1].
 * @throws PrivinferError INPUT_INVALID naming the vector, its length or the value out of range.
 */
export function fitInputsToCard(
  vectors: number[][],
  card: ModelCard,
  options: FitOptions,
): number[][] {
  const size = options.preprocessed ? card.input.size : card.input.rawSize
  const { range } = card.input
  const rangeApplies =
    range !== undefined &&
    (!options.preprocessed || ['none', 'avgpool'].includes(card.input.preprocessing.kind))
  let scaled = 0
  const fitted = vectors.map((vector, index) => {
    if (vector.length !== size) {
      throw new PrivinferError(
        'INPUT_INVALID',
        `${options.source}: vector ${index} has ${vector.length} values; model '${card.id}' takes ${size}`,
        { index, gotLength: vector.length, expectedLength: size },
      )
    }
    if (!rangeApplies) return vector
    if (range.min === 0 && range.max === 1 && looksLike8BitImage(vector)) {
      scaled++
      vector = vector.map((value) => value / 255)
    }
    try {
      checkInputRange({ range }, vector)
    } catch (error) {
      const { message, details } = error as PrivinferError
      throw new PrivinferError('INPUT_INVALID', `${options.source}: vector ${index}: ${message}`, {
        ...details,
        vector: index,
      })
    }
    return vector
  })
  if (scaled > 0) {
    const note = options.note ?? ((text: string) => process.stderr.write(text + '\n'))
    note(
      `privinfer: ${options.source}: ${scaled} of ${vectors.length} vector(s) hold 0-255 pixel values; scaled by 1/255 to the model's input range [0, 1]`,
    )
  }
  return fitted
}
