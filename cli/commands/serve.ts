/**
 * privinfer serve [--port N] [--host H] [--models-dir DIR] [--keys-dir DIR] [--workers N] [--enable-plain]
 *
 * Runs exactly what `npm start` runs: the demo page is rebuilt when stale (npm's prestart:
 * web/build.ts --if-stale), then `node service/main.ts` starts in the package folder with
 * MALLOC_ARENA_MAX=2 unless the environment sets it. glibc reads MALLOC_ARENA_MAX when a process
 * starts, so the service runs as a child process with it in its environment (in-process it would not
 * apply: RSS grew to 1.4-1.5 GB under load without it, docs/load.md). Options override the
 * environment variables of the same meaning (PORT, HOST, MODELS_DIR, KEYS_DIR, WORKERS, ENABLE_PLAIN);
 * folders given as options are relative to the current folder.
 */
import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { PrivinferError } from '../../core/errors.ts'
import { integerOption, parseCommandArgs } from '../args.ts'
import type { Command } from './index.ts'

const PACKAGE_DIR = fileURLToPath(new URL('../..', import.meta.url))
const SERVICE_ENTRY = fileURLToPath(new URL('../../service/main.ts', import.meta.url))
/** npm start's prestart: `node web/build.ts --if-stale` (run as a script: cli/ does not import web/). */
const WEB_BUILD = fileURLToPath(new URL('../../web/build.ts', import.meta.url))

/** What `npm start` sets (package.json scripts.start). */
const START_DEFAULTS = { MALLOC_ARENA_MAX: '2' }

/**
 * Fails early, in this process, with PORT_IN_USE when another process listens on host:port (the
 * service itself reports the same code if it loses a race for the port).
 */
async function checkPortFree(port: number, host: string | undefined): Promise<void> {
  if (port === 0) return
  await new Promise<void>((done, fail) => {
    const probe = createServer()
    probe.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        fail(
          new PrivinferError(
            'PORT_IN_USE',
            `port ${port} is in use by another process; choose another with --port`,
            { port },
          ),
        )
      } else done() // EACCES and the like: let the service report them itself.
    })
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => done()))
  })
}

/** Runs `node web/build.ts --if-stale` as npm's prestart does; a failed build stops the start. */
async function runPrestart(env: Record<string, string | undefined>): Promise<void> {
  const build = spawn(process.execPath, [WEB_BUILD, '--if-stale'], {
    cwd: PACKAGE_DIR,
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  const code = await new Promise<number>((done) => {
    build.once('exit', (exitCode) => done(exitCode ?? 1))
    build.once('error', () => done(1))
  })
  if (code !== 0)
    throw new PrivinferError(
      'INTERNAL',
      `building the demo page failed (node web/build.ts exited ${code})`,
    )
}

export const command: Command = {
  name: 'serve',
  summary: 'run the REST service and the demo page (same as npm start)',
  usage: [
    'usage: privinfer serve [--port N] [--host H] [--models-dir DIR] [--keys-dir DIR] [--workers N] [--enable-plain]',
    '',
    'Runs exactly what npm start runs: the demo page at http://HOST:PORT/ and the REST API under /v1,',
    'serving every model folder of --models-dir (default: the models/ of the privinfer folder).',
    '--port      TCP port, 0-65535 (default: $PORT, else 8080; 0 picks a free one)',
    '--host      interface to listen on (default: $HOST, else the service default)',
    '--workers   HE worker threads, 1-256 (default: $WORKERS, else one per core)',
    'Other settings come from the environment: see docs/api.md (Configuration).',
  ].join('\n'),
  async run(argv) {
    const { values } = parseCommandArgs(argv, {
      port: { type: 'string' },
      host: { type: 'string' },
      'models-dir': { type: 'string' },
      'keys-dir': { type: 'string' },
      workers: { type: 'string' },
      'enable-plain': { type: 'boolean' },
    })
    const port = integerOption(values, 'port', 0, 65535)
    const workers = integerOption(values, 'workers', 1, 256)
    const host = values.host
    if (host !== undefined && host.trim() === '')
      throw new PrivinferError('OPTION_INVALID', '--host needs a value', { option: '--host' })
    const overrides: Record<string, string | undefined> = {
      PORT: port?.toString(),
      HOST: host,
      MODELS_DIR: values['models-dir'] === undefined ? undefined : resolve(values['models-dir']),
      KEYS_DIR: values['keys-dir'] === undefined ? undefined : resolve(values['keys-dir']),
      WORKERS: workers?.toString(),
      ENABLE_PLAIN: values['enable-plain'] ? 'true' : undefined,
    }
    const env: Record<string, string | undefined> = { ...START_DEFAULTS, ...process.env }
    for (const [name, value] of Object.entries(overrides))
      if (value !== undefined) env[name] = value
    const effectivePort = Number(env.PORT ?? 8080)
    if (Number.isInteger(effectivePort)) await checkPortFree(effectivePort, env.HOST)

    await runPrestart(env)

    const child = spawn(process.execPath, [SERVICE_ENTRY], {
      cwd: PACKAGE_DIR,
      env,
      stdio: 'inherit',
    })
    // The child drains on SIGTERM / SIGINT (service/main.ts); a terminal's Ctrl-C reaches both.
    const forward = (signal: NodeJS.Signals) => () => {
      if (child.exitCode === null) child.kill(signal)
    }
    for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const)
      process.on(signal, forward(signal))
    const code = await new Promise<number>((done) => {
      child.once('exit', (exitCode, signal) => done(exitCode ?? (signal === 'SIGINT' ? 130 : 1)))
      child.once('error', () => done(1))
    })
    // The service printed its own one-line error when it failed (service/main.ts).
    process.exit(code)
  },
}
