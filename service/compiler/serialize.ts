/**
 * JSON (de)serialization of a CompiledModel, so a compiled model (its plan is plain data) can be
 * stored and handed around as text. Float64Arrays (weights, plaintext vectors) become
 * {"$float64": base64 of the little-endian IEEE-754 bytes}: compact and bit-exact.
 */
import { PrivinferError } from '../../core/errors.ts'
import type { CompiledModel } from './compile.ts'

const TAG = '$float64'

function toBase64(values: Float64Array): string {
  const bytes = new Uint8Array(values.length * 8)
  const view = new DataView(bytes.buffer)
  for (let i = 0; i < values.length; i++) view.setFloat64(i * 8, values[i], true)
  return Buffer.from(bytes).toString('base64')
}

function fromBase64(text: string): Float64Array {
  const bytes = Buffer.from(text, 'base64')
  if (bytes.length % 8 !== 0)
    throw new PrivinferError('INVALID_MODEL', 'compiled model: float64 payload of odd length')
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length)
  const values = new Float64Array(bytes.length / 8)
  for (let i = 0; i < values.length; i++) values[i] = view.getFloat64(i * 8, true)
  return values
}

/** Serializes a compiled model to JSON text. */
export function compiledModelToJson(
  compiled: CompiledModel,
  extra: Record<string, unknown> = {},
): string {
  return JSON.stringify({ ...extra, compiled }, (_key, value: unknown) =>
    value instanceof Float64Array ? { [TAG]: toBase64(value) } : value,
  )
}

/**
 * Parses JSON text from compiledModelToJson.
 * @throws PrivinferError INVALID_MODEL for text that is not a compiled model of format version 1.
 */
export function compiledModelFromJson(text: string): {
  compiled: CompiledModel
  extra: Record<string, unknown>
} {
  let parsed: { compiled?: CompiledModel } & Record<string, unknown>
  try {
    parsed = JSON.parse(text, (_key, value: unknown) => {
      if (
        value !== null &&
        typeof value === 'object' &&
        TAG in value &&
        typeof (value as Record<string, unknown>)[TAG] === 'string'
      ) {
        return fromBase64((value as Record<string, string>)[TAG])
      }
      return value
    })
  } catch (cause) {
    throw new PrivinferError('INVALID_MODEL', 'compiled model: not JSON', {}, { cause })
  }
  const { compiled, ...extra } = parsed
  if (compiled?.formatVersion !== 1 || !Array.isArray(compiled.plan?.ops)) {
    throw new PrivinferError('INVALID_MODEL', 'compiled model: unknown format')
  }
  return { compiled, extra }
}
