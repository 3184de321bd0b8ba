/**
 * Small argument helpers shared by the CLI commands (node:util parseArgs underneath).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { PrivinferError } from '../core/errors.ts'

export type Options = NonNullable<ParseArgsConfig['options']>

/** Parses argv for one command; `--json` and `--help` are always accepted. */
export function parseCommandArgs(argv: string[], options: Options) {
  try {
    return parseArgs({
      args: argv,
      options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, ...options },
      allowPositionals: true,
      strict: true,
    })
  } catch (error) {
    throw new PrivinferError('BAD_REQUEST', (error as Error).message)
  }
}

export function requireString(values: Record<string, unknown>, name: string): string {
  const value = values[name]
  if (typeof value !== 'string' || value.length === 0) {
    throw new PrivinferError('FIELD_MISSING', `--${name} is required`)
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
    if (fallback === undefined) throw new PrivinferError('FIELD_MISSING', `--${name} is required`)
    return fallback
  }
  const parsed = Number(raw)
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(parsed)) {
    throw new PrivinferError('BAD_REQUEST', `--${name} must be a number, got ${String(raw)}`)
  }
  return parsed
}

/** Prints one JSON object on stdout (the --json contract) or human text. */
export function emit(json: boolean, value: unknown, human: () => string): void {
  if (json) process.stdout.write(JSON.stringify(value) + '\n')
  else process.stdout.write(human() + '\n')
}
