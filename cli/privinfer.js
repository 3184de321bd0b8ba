#!/usr/bin/env node
/**
 * The `privinfer` command (package.json bin) for whatever Node is on PATH. The CLI is TypeScript
 * (cli/privinfer.ts) and node-seal 7 needs Node >= 22; Node runs .ts files itself from 22.18 on.
 * - On such a Node, the CLI is loaded in this process.
 * - On an older one (the machine's Node 20), the Node 24 that the `node` devDependency installs in
 *   this package's node_modules runs it, as a child process with the same arguments, standard
 *   streams, exit code and signals.
 * Plain JavaScript that Node 18+ parses, so that it can say what is missing instead of failing with
 * ERR_UNKNOWN_FILE_EXTENSION.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const entry = fileURLToPath(new URL('./privinfer.ts', import.meta.url))
const packageDir = fileURLToPath(new URL('..', import.meta.url))

/** Node >= 22.18 strips TypeScript types by default (not for files under node_modules). */
function runsTypeScript(version) {
  const [major, minor] = version.split('.').map(Number)
  return major > 22 || (major === 22 && minor >= 18)
}

/** node_modules/node/bin/node of this package, when `npm ci` installed it. */
function bundledNode() {
  try {
    const require = createRequire(import.meta.url)
    const binary = join(dirname(require.resolve('node/package.json')), 'bin', 'node')
    return existsSync(binary) ? binary : undefined
  } catch {
    return undefined
  }
}

if (runsTypeScript(process.versions.node)) {
  await import(entry)
} else {
  const node = bundledNode()
  if (node === undefined) {
    process.stderr.write(
      `privinfer: this Node is ${process.version}; privinfer needs Node >= 22.18, or 'npm ci' in ${packageDir} (it installs Node 24 there) [CONFIG_INVALID]\n`,
    )
    process.exit(1)
  }
  const child = spawn(node, [entry, ...process.argv.slice(2)], { stdio: 'inherit' })
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
    process.on(signal, () => {
      if (child.exitCode === null) child.kill(signal)
    })
  }
  child.on('error', (error) => {
    process.stderr.write(`privinfer: cannot start ${node}: ${error.message} [CONFIG_INVALID]\n`)
    process.exit(1)
  })
  child.on('exit', (code, signal) => {
    if (signal !== null) {
      process.removeAllListeners(signal)
      process.kill(process.pid, signal)
    } else process.exit(code ?? 1)
  })
}
