#!/usr/bin/env node
/**
 * privinfer CLI entry point. `privinfer <command> [--json] ...`; `privinfer help` lists the commands.
 */
import { COMMANDS } from './commands/index.ts'
import { PrivinferError, isPrivinferError } from '../core/errors.ts'

/** A file named on the command line that cannot be read becomes a typed error (no stack trace). */
function fileProblem(error: unknown): PrivinferError | undefined {
  const { code, path } = (error ?? {}) as { code?: unknown; path?: unknown }
  const reasons: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EACCES: 'permission denied',
    EISDIR: 'a directory, not a file',
    ENOTDIR: 'a path through something that is not a directory',
  }
  if (typeof code !== 'string' || !(code in reasons)) return undefined
  const where = typeof path === 'string' ? `${path}: ` : ''
  return new PrivinferError(
    'INPUT_INVALID',
    `cannot read ${where}${reasons[code]}`,
    typeof path === 'string' ? { path } : {},
    {
      cause: error,
    },
  )
}

/** Any thrown value as a PrivinferError: typed ones as they are, anything else INTERNAL. */
function typedError(thrown: unknown): PrivinferError {
  const error = fileProblem(thrown) ?? thrown
  if (isPrivinferError(error)) return error
  const message = error instanceof Error ? error.message : String(error)
  return new PrivinferError('INTERNAL', `internal error: ${message}`, {}, { cause: error })
}

/**
 * Reports a failure the CLI's way and sets exit code 1: one line `privinfer: <message> [<CODE>]` on
 * stderr and, with --json, one JSON object on stdout. A stack trace only with PRIVINFER_DEBUG=1.
 */
function reportFailure(thrown: unknown): void {
  const error = typedError(thrown)
  const message = error.message.replace(/\s*\n\s*/g, '; ')
  if (process.argv.includes('--json'))
    process.stdout.write(
      JSON.stringify({ error: { ...error.details, code: error.code, message } }) + '\n',
    )
  process.stderr.write(`privinfer: ${message} [${error.code}]\n`)
  if (process.env.PRIVINFER_DEBUG === '1') {
    const stack = thrown instanceof Error ? thrown.stack : undefined
    if (stack !== undefined) process.stderr.write(stack + '\n')
  }
  process.exitCode = 1
}

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length))
    process.stdout.write(
      'usage: privinfer <command> [options] [--json]\n\n' +
        Object.entries(COMMANDS)
          .map(([n, c]) => `  ${n.padEnd(width)}  ${c.summary}`)
          .join('\n') +
        '\n\nprivinfer <command> --help shows the options of one command.\n',
    )
    return
  }
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined
  if (!entry) {
    throw new PrivinferError(
      'COMMAND_UNKNOWN',
      `unknown command '${name.slice(0, 40)}'; the commands are ${Object.keys(COMMANDS).join(', ')} (privinfer help)`,
      { command: name.slice(0, 40) },
    )
  }
  const { command } = await entry.load()
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(command.usage + '\n')
    return
  }
  await command.run(rest)
}

// Failures outside the command's promise (an 'error' event, a rejected promise nobody awaits) are
// reported the same way: never a raw stack trace.
process.on('uncaughtException', (error) => {
  reportFailure(error)
  process.exit(1)
})
process.on('unhandledRejection', (reason) => {
  reportFailure(reason)
  process.exit(1)
})

main(process.argv.slice(2)).catch(reportFailure)
