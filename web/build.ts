/**
 * The demo page's bundle in web/dist/, which the service serves at `/` (service/http/routes/web.ts):
 * index.html, demo.css, favicon.svg, demo.js (the page's script with the client library) and
 * node-seal's WebAssembly. web/dist is not committed; the project's own scripts build it:
 *
 *   node web/build.ts             build now (npm run build:web)
 *   node web/build.ts --if-stale  build only when a source is newer than the bundle (npm start's
 *                                 prestart, and privinfer serve, run this)
 *
 * node-seal's Emscripten loader mentions Node built-ins behind runtime checks; they are marked
 * external so the browser bundle never loads them. esbuild is a devDependency: where it is absent
 * (a production install), an existing bundle is served as it is.
 */
import { copyFile, mkdir, readdir, rename, rm, stat } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const webDir = dirname(fileURLToPath(import.meta.url))
const rootDir = join(webDir, '..')

/** Where the service looks for the page (service/main.ts). */
export const WEB_DIST_DIR = join(webDir, 'dist')

/** Static files copied as they are. */
const STATIC_FILES = ['index.html', 'demo.css', 'favicon.svg']

/** Folders whose files go into the bundle: a newer file in any of them makes the bundle stale. */
const SOURCE_DIRS = [webDir, join(rootDir, 'client'), join(rootDir, 'core')]

async function newestSourceMs(): Promise<number> {
  let newest = 0
  const visit = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) {
        if (path !== WEB_DIST_DIR && entry.name !== 'node_modules' && !entry.name.startsWith('.'))
          await visit(path)
      } else if (/\.(ts|html|css|svg)$/.test(entry.name)) {
        newest = Math.max(newest, (await stat(path)).mtimeMs)
      }
    }
  }
  for (const dir of SOURCE_DIRS) await visit(dir)
  // A different node-seal (npm ci after an upgrade) means a different WebAssembly file.
  const sealPackage = join(rootDir, 'node_modules', 'node-seal', 'package.json')
  newest = Math.max(
    newest,
    await stat(sealPackage).then(
      (info) => info.mtimeMs,
      () => 0,
    ),
  )
  return newest
}

/** True when `outDir` lacks the page or holds one older than a source file. */
export async function isWebBundleStale(outDir = WEB_DIST_DIR): Promise<boolean> {
  const built = await stat(join(outDir, 'demo.js')).then(
    (info) => info.mtimeMs,
    () => undefined,
  )
  return built === undefined || built < (await newestSourceMs())
}

/**
 * Builds the page into `outDir`: into a sibling temporary folder first, then renamed into place, so a
 * running service never serves half a bundle. Returns one line describing the output.
 */
export async function buildWebBundle(outDir = WEB_DIST_DIR): Promise<string> {
  const { build } = await import('esbuild')
  // node-seal exports no ./package.json: resolve its entry (dist/index_throws.js) instead.
  const sealDist = dirname(fileURLToPath(import.meta.resolve('node-seal')))
  const staging = `${outDir}.tmp-${process.pid}-${Date.now()}`
  await mkdir(staging, { recursive: true })
  try {
    const result = await build({
      entryPoints: { demo: join(webDir, 'demo.ts') },
      outdir: staging,
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
    await copyFile(join(sealDist, 'seal_throws.wasm'), join(staging, 'seal_throws.wasm'))
    for (const file of STATIC_FILES) await copyFile(join(webDir, file), join(staging, file))
    await swapInto(staging, outDir)
    const sizes = Object.entries(result.metafile.outputs)
      .filter(([file]) => file.endsWith('.js'))
      .map(([, output]) => `demo.js ${(output.bytes / 1024).toFixed(0)} KB`)
    return `${outDir}: ${sizes.join(', ')}, seal_throws.wasm, ${STATIC_FILES.join(', ')}`
  } catch (error) {
    await rm(staging, { recursive: true, force: true })
    throw error
  }
}

/**
 * Renames `staging` to `outDir`, moving an existing `outDir` aside first. Two builds racing (two
 * services starting at once) each retry until their rename lands; the last one wins, whole.
 */
async function swapInto(staging: string, outDir: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const previous = `${outDir}.old-${process.pid}-${Date.now()}-${attempt}`
    const hadPrevious = await rename(outDir, previous).then(
      () => true,
      () => false,
    )
    try {
      await rename(staging, outDir)
      if (hadPrevious) await rm(previous, { recursive: true, force: true })
      return
    } catch (error) {
      if (hadPrevious) await rm(previous, { recursive: true, force: true })
      const code = (error as NodeJS.ErrnoException).code
      if (attempt >= 5 || (code !== 'ENOTEMPTY' && code !== 'EEXIST')) throw error
    }
  }
}

/** esbuild can be loaded (a development install). */
async function hasEsbuild(): Promise<boolean> {
  return import('esbuild').then(
    () => true,
    () => false,
  )
}

/**
 * Builds the page when it is missing or stale and esbuild is installed; returns the line to print
 * (undefined when nothing was done).
 */
export async function ensureWebBundle(outDir = WEB_DIST_DIR): Promise<string | undefined> {
  if (!(await isWebBundleStale(outDir))) return undefined
  if (!(await hasEsbuild())) {
    return `${outDir} is missing or older than its sources, and esbuild is not installed: the demo page is not rebuilt`
  }
  return buildWebBundle(outDir)
}

if (import.meta.main) {
  const line = process.argv.includes('--if-stale')
    ? await ensureWebBundle()
    : await buildWebBundle()
  if (line !== undefined) process.stdout.write(`${line}\n`)
}
