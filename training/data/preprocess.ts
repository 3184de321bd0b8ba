/**
 * The public, data-independent input transform applied by the client before encryption, exactly as
 * described by the card's `input.preprocessing`, applied to whole datasets for training. The math is
 * core/features/preprocess.ts, the same function the client calls.
 *
 * Scattering features cost ~5-15 ms per image (core/features/scattering.ts), minutes for 60,000
 * images on this machine: they are cached under node_modules/.cache/privinfer/ keyed by the SHA-256 of
 * the raw pixels and the preprocessing, so a second training run on the same data reads them back.
 */
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { InputPreprocessing } from '../../core/card.ts'
import { applyPreprocessing, preprocessedSize } from '../../core/features/preprocess.ts'
import type { Dataset } from './dataset.ts'

export { preprocessedSize }

/** Where computed features are cached (a build cache: deleting it only costs time). */
export const FEATURE_CACHE_DIR = join('node_modules', '.cache', 'privinfer')

/** Applies the transform to one raw input (`raw.length` = rawSize), writing into `out`. */
export function preprocessInto(
  preprocessing: InputPreprocessing,
  raw: ArrayLike<number>,
  out: Float32Array,
): void {
  out.set(applyPreprocessing(preprocessing, raw))
}

export interface PreprocessOptions {
  /** Called every few hundred rows with (done, total). */
  onProgress?: (done: number, total: number) => void
  /** Cache scattering features on disk (default true). */
  cache?: boolean
}

/** Applies the transform to every row of a dataset. */
export function preprocessDataset(
  dataset: Dataset,
  preprocessing: InputPreprocessing,
  options: PreprocessOptions = {},
): Dataset {
  const size = preprocessedSize(preprocessing, dataset.inputSize)
  const cacheFile =
    preprocessing.kind === 'scattering' && options.cache !== false
      ? join(FEATURE_CACHE_DIR, `${cacheKey(dataset, preprocessing)}.f32`)
      : undefined
  if (cacheFile !== undefined && existsSync(cacheFile)) {
    const bytes = readFileSync(cacheFile)
    if (bytes.byteLength === dataset.count * size * 4) {
      const inputs = new Float32Array(
        bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
      )
      return { ...dataset, inputs, inputSize: size }
    }
  }
  const inputs = new Float32Array(dataset.count * size)
  for (let row = 0; row < dataset.count; row++) {
    preprocessInto(
      preprocessing,
      dataset.inputs.subarray(row * dataset.inputSize, (row + 1) * dataset.inputSize),
      inputs.subarray(row * size, (row + 1) * size),
    )
    if (options.onProgress && ((row + 1) % 500 === 0 || row + 1 === dataset.count))
      options.onProgress(row + 1, dataset.count)
  }
  if (cacheFile !== undefined) {
    mkdirSync(FEATURE_CACHE_DIR, { recursive: true })
    // Write then rename: a concurrent reader never sees a partial file.
    const partial = `${cacheFile}.${process.pid}.partial`
    writeFileSync(partial, new Uint8Array(inputs.buffer))
    renameSync(partial, cacheFile)
  }
  return { ...dataset, inputs, inputSize: size }
}

function cacheKey(dataset: Dataset, preprocessing: InputPreprocessing): string {
  return createHash('sha256')
    .update(JSON.stringify(preprocessing))
    .update(
      new Uint8Array(dataset.inputs.buffer, dataset.inputs.byteOffset, dataset.inputs.byteLength),
    )
    .digest('hex')
    .slice(0, 32)
}
