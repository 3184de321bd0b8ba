#!/usr/bin/env node
/**
 * privinfer CLI entry point. `privinfer <command> [--json] ...`; `privinfer help` lists the commands.
 */
import { COMMANDS } from './commands/index.ts'
import { isPrivinferError } from '../core/errors.ts'

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
  (error: unknown) => {
    const json = process.argv.includes('--json')
    if (isPrivinferError(error)) {
      if (json) process.stdout.write(JSON.stringify({ error: { code: error.code, message: error.message, ...error.details } }) + '\n')
      process.stderr.write(`privinfer: ${error.message} [${error.code}]\n`)
      process.exitCode = 1
    } else {
      process.stderr.write(`privinfer: ${(error as Error)?.stack ?? String(error)}\n`)
      process.exitCode = 1
    }
  },
)
