/**
 * privinfer serve [--port N] [--host H] [--models-dir DIR] [--keys-dir DIR] [--workers N] [--enable-plain]
 * Runs the REST service exactly as `npm start` does (service/main.ts); options override the
 * environment variables of the same meaning (PORT, HOST, MODELS_DIR, KEYS_DIR, WORKERS, ENABLE_PLAIN).
 */
import type { Command } from './index.ts'
import { parseCommandArgs } from '../args.ts'
import { main } from '../../service/main.ts'

export const command: Command = {
  name: 'serve',
  summary: 'run the REST service',
  usage: [
    'usage: privinfer serve [--port N] [--host H] [--models-dir DIR] [--keys-dir DIR] [--workers N] [--enable-plain]',
    '',
    'Serves every model folder of --models-dir (default models/) on PORT (default 8080).',
    'Other settings come from the environment: see docs/api.md (Configuration).',
  ].join('\n'),
  async run(argv) {
    const values: Record<string, string | boolean | undefined> = parseCommandArgs(argv, {
      port: { type: 'string' },
      host: { type: 'string' },
      'models-dir': { type: 'string' },
      'keys-dir': { type: 'string' },
      workers: { type: 'string' },
      'enable-plain': { type: 'boolean' },
    }).values
    const overrides: Record<string, string | undefined> = {
      PORT: values.port as string | undefined,
      HOST: values.host as string | undefined,
      MODELS_DIR: values['models-dir'] as string | undefined,
      KEYS_DIR: values['keys-dir'] as string | undefined,
      WORKERS: values.workers as string | undefined,
      ENABLE_PLAIN: values['enable-plain'] ? 'true' : undefined,
    }
    const env = { ...process.env }
    for (const [name, value] of Object.entries(overrides))
      if (value !== undefined) env[name] = value
    await main(env)
    // main() keeps the process alive (server + signal handlers); never resolve the command.
    await new Promise<never>(() => {})
  },
}
