/**
 * What every bench writes beside its table: the machine, the load average while it ran, and the
 * files bench/results/<name>.md and .json.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { cpus, loadavg } from 'node:os'

export function machineDescription(): string {
  return `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, node-seal 7.0.0`
}

/** The 1, 5 and 15 minute load averages, as uptime prints them. */
export function loadAverage(): string {
  return loadavg()
    .map((load) => load.toFixed(2))
    .join(', ')
}

/** Writes bench/results/<name>.md (and .json when given) and prints the markdown. */
export async function writeBenchResult(
  name: string,
  markdown: string,
  json?: unknown,
): Promise<void> {
  await mkdir('bench/results', { recursive: true })
  if (json !== undefined)
    await writeFile(`bench/results/${name}.json`, JSON.stringify(json, null, 2) + '\n')
  await writeFile(`bench/results/${name}.md`, markdown)
  process.stdout.write(markdown)
}
