/**
 * `npm run build:web`: bundles the client library for browsers with esbuild into web/dist/
 * (privinfer-client.js: the library as an ES module; demo.js: the demo page's script), and copies
 * node-seal's WebAssembly and the demo page next to them. web/dist is not committed.
 *
 * node-seal's Emscripten loader mentions Node built-ins behind runtime checks; they are marked
 * external so the browser bundle never loads them.
 */
import { build } from 'esbuild'
import { copyFile, mkdir } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const webDir = dirname(fileURLToPath(import.meta.url))
const outDir = join(webDir, 'dist')
// node-seal exports no ./package.json: resolve its entry (dist/index_throws.js) instead.
const sealDist = dirname(fileURLToPath(import.meta.resolve('node-seal')))

await mkdir(outDir, { recursive: true })
const result = await build({
  entryPoints: {
    'privinfer-client': join(webDir, '..', 'client', 'index.ts'),
    demo: join(webDir, 'demo.ts'),
  },
  outdir: outDir,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  sourcemap: true,
  minify: true,
  external: ['module', 'fs', 'path', 'url', 'node:*', 'worker_threads', 'crypto'],
  metafile: true,
  logLevel: 'warning',
})
await copyFile(join(sealDist, 'seal_throws.wasm'), join(outDir, 'seal_throws.wasm'))
await copyFile(join(webDir, 'index.html'), join(outDir, 'index.html'))
const bytes = Object.entries(result.metafile.outputs)
  .filter(([file]) => file.endsWith('.js'))
  .map(([file, output]) => `${file} ${(output.bytes / 1024).toFixed(0)} KB`)
process.stdout.write(`web/dist: ${bytes.join(', ')}, seal_throws.wasm\n`)
