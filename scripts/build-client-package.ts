/**
 * Builds packages/client/dist, what `npm pack ./packages/client` puts in the tarball (its prepack runs
 * this): the client library (client/index.ts and what it imports from core/) as ESM JavaScript, and
 * its TypeScript declarations.
 *
 * - JavaScript: esbuild, one bundle per entry with shared chunks (index.js; node/key-directory.js, the
 *   Node-only module index.js loads on demand for `keysDir`), platform neutral (fetch, FormData and
 *   Blob are globals in Node >= 18 and browsers), node-seal and node: built-ins left as imports.
 * - Declarations: tsc with declaration-only emit into dist/types/ (client/ and core/ keep their
 *   layout, so the .d.ts files import each other as the sources do).
 *
 *   node scripts/build-client-package.ts
 */
import { execFileSync } from 'node:child_process'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const packageDir = join(root, 'packages', 'client')
const outDir = join(packageDir, 'dist')

await rm(outDir, { recursive: true, force: true })
const result = await build({
  entryPoints: {
    index: join(root, 'client', 'index.ts'),
    'node/key-directory': join(root, 'client', 'node', 'key-directory.ts'),
  },
  outdir: outDir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  external: ['node-seal', 'node:*'],
  sourcemap: true,
  metafile: true,
  logLevel: 'warning',
})

// Declarations: a throw-away tsconfig next to the package (tsc resolves `files` from its folder).
const tsconfig = join(packageDir, 'tsconfig.build.json')
await mkdir(join(outDir, 'types'), { recursive: true })
await writeFile(
  tsconfig,
  JSON.stringify({
    extends: relative(packageDir, join(root, 'tsconfig.json')),
    compilerOptions: {
      noEmit: false,
      declaration: true,
      emitDeclarationOnly: true,
      rootDir: relative(packageDir, root),
      outDir: 'dist/types',
      types: ['node'],
    },
    include: [],
    files: [
      relative(packageDir, join(root, 'client', 'index.ts')),
      relative(packageDir, join(root, 'client', 'node', 'key-directory.ts')),
    ],
  }),
)
try {
  execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', tsconfig], {
    stdio: ['ignore', 'inherit', 'inherit'],
  })
} finally {
  await rm(tsconfig, { force: true })
}

const sizes = Object.entries(result.metafile.outputs)
  .filter(([file]) => file.endsWith('.js'))
  .map(([file, output]) => `${relative(outDir, file)} ${(output.bytes / 1024).toFixed(0)} KB`)
// stderr: `npm pack --json` prints its JSON on stdout.
process.stderr.write(`packages/client/dist: ${sizes.join(', ')}, types/\n`)
