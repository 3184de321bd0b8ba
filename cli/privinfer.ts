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

async function main(argv: string[]): Promise<number> {
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
    return 0
  }
  const entry = COMMANDS[name]
  if (!entry) {
    process.stderr.write(`privinfer: unknown command '${name}' (try privinfer help)\n`)
    return 2
  }
  const { command } = await entry.load()
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(command.usage + '\n')
    return 0
  }
  await command.run(rest)
  return 0
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (thrown: unknown) => {
    const json = process.argv.includes('--json')
    const error = fileProblem(thrown) ?? thrown
    if (isPrivinferError(error)) {
      if (json)
        process.stdout.write(
          JSON.stringify({
            error: { code: error.code, message: error.message, ...error.details },
          }) + '\n',
        )
      process.stderr.write(`privinfer: ${error.message} [${error.code}]\n`)
      process.exitCode = 1
    } else {
      process.stderr.write(`privinfer: ${(error as Error)?.stack ?? String(error)}\n`)
      process.exitCode = 1
    }
  },
)
