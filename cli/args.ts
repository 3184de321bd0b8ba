/**
 * Small argument helpers shared by the CLI commands (node:util parseArgs underneath).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { PrivinferError } from '../core/errors.ts'

export type Options = NonNullable<ParseArgsConfig['options']>

/**
 * Parses argv for one command; `--json` and `--help` are always accepted.
 * @throws PrivinferError OPTION_INVALID naming the option (unknown, missing its value, or a value given
 *   to a flag).
 */
export function parseCommandArgs<T extends Options>(argv: string[], options: T) {
  const all = {
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
    ...options,
  } as const
  try {
    return parseArgs({ args: argv, options: all, allowPositionals: true, strict: true })
  } catch (error) {
    throw optionProblem(error, argv, all)
  }
}

/** parseArgs' errors (long sentences about '--' and positionals) as one short line per case. */
function optionProblem(error: unknown, argv: string[], options: Options): PrivinferError {
  const { code, message } = error as { code?: string; message?: string }
  const named = /'(-{1,2}[^' ]+)/.exec(message ?? '')?.[1] ?? ''
  const option = named.replace(/=.*$/, '')
  const known = Object.keys(options)
    .map((name) => `--${name}`)
    .join(' ')
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION')
    return new PrivinferError(
      'OPTION_INVALID',
      `unknown option ${option}; the options are ${known}`,
      {
        option,
      },
    )
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const name = option.replace(/^-+/, '')
    const takesValue = options[name]?.type === 'string'
    return new PrivinferError(
      'OPTION_INVALID',
      takesValue ? `${option} needs a value` : `${option} is a flag and takes no value`,
      { option },
    )
  }
  const unexpected = argv.find((arg) => !arg.startsWith('-')) ?? ''
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL')
    return new PrivinferError('OPTION_INVALID', `unexpected argument '${unexpected}'`, {})
  return new PrivinferError('OPTION_INVALID', message ?? String(error), {})
}

export function requireString(values: Record<string, unknown>, name: string): string {
  const value = values[name]
  if (typeof value !== 'string' || value.length === 0) {
    throw new PrivinferError('FIELD_MISSING', `--${name} is required`, { option: `--${name}` })
  }
  return value
}

export function numberOption(
  values: Record<string, unknown>,
  name: string,
  fallback?: number,
): number {
  const raw = values[name]
  if (raw === undefined) {
    if (fallback === undefined)
      throw new PrivinferError('FIELD_MISSING', `--${name} is required`, { option: `--${name}` })
    return fallback
  }
  const parsed = Number(raw)
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(parsed)) {
    throw new PrivinferError('OPTION_INVALID', `--${name} must be a number, got '${String(raw)}'`, {
      option: `--${name}`,
    })
  }
  return parsed
}

/**
 * An integer option in [min, max] (e.g. --port).
 * @throws PrivinferError OPTION_INVALID naming the option and the range.
 */
export function integerOption(
  values: Record<string, unknown>,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const raw = values[name]
  if (raw === undefined) return undefined
  const parsed = Number(raw)
  if (typeof raw !== 'string' || !/^\s*-?\d+\s*$/.test(raw) || parsed < min || parsed > max) {
    throw new PrivinferError(
      'OPTION_INVALID',
      `--${name} must be an integer in [${min}, ${max}], got '${String(raw)}'`,
      { option: `--${name}` },
    )
  }
  return parsed
}

/** Prints one JSON object on stdout (the --json contract) or human text. */
export function emit(json: boolean, value: unknown, human: () => string): void {
  if (json) process.stdout.write(JSON.stringify(value) + '\n')
  else process.stdout.write(human() + '\n')
}
