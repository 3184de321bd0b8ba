/**
 * The PyTorch fixtures of test/fixtures/torch (made by make-fixtures.py): manifest, ONNX bytes and
 * the committed test data, so tests need neither torch nor the Fashion-MNIST package.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

export const TORCH_FIXTURES_DIR = join(import.meta.dirname, '..', 'fixtures', 'torch')

export interface TorchFixture {
  file: string
  opset: number
  ops: string[]
  bytes: number
  architecture: string
  /** Input shape without the batch, e.g. [1, 28, 28] or [30]. */
  inputShape: number[]
  dataset: 'fashion-mnist' | 'breast-cancer' | null
  trained: boolean
  supported?: boolean
  unsupportedReason?: string
  epochs?: number
  accuracy?: Record<string, number>
}

let manifest: Record<string, TorchFixture> | undefined

/** Every fixture by name (fixtures.json). */
export function torchFixtures(): Record<string, TorchFixture> {
  manifest ??= (
    JSON.parse(readFileSync(join(TORCH_FIXTURES_DIR, 'fixtures.json'), 'utf8')) as {
      fixtures: Record<string, TorchFixture>
    }
  ).fixtures
  return manifest
}

/** The ONNX bytes of a fixture. */
export function torchFixtureBytes(name: string): Uint8Array {
  const fixture = torchFixtures()[name]
  if (!fixture) throw new Error(`no torch fixture named ${name}`)
  return new Uint8Array(readFileSync(join(TORCH_FIXTURES_DIR, fixture.file)))
}

export interface FashionSample {
  /** t10k row indices (the first 32 of the 1,000 fixed test indices). */
  indices: number[]
  labels: number[]
  /** Model inputs: byte / 255, 784 values each. */
  images: Float64Array[]
  /** Each trained image fixture's torch outputs on the images. */
  torchOutputs: Record<string, number[][]>
}

/** The 32 committed Fashion-MNIST test images with torch's outputs. */
export function fashionSample(): FashionSample {
  const raw = JSON.parse(
    readFileSync(join(TORCH_FIXTURES_DIR, 'fashion-mnist-sample.json'), 'utf8'),
  ) as {
    indices: number[]
    labels: number[]
    pixelsBase64: string
    torchOutputs: Record<string, number[][]>
  }
  const bytes = Buffer.from(raw.pixelsBase64, 'base64')
  const images = raw.indices.map((_, i) =>
    Float64Array.from(bytes.subarray(i * 784, (i + 1) * 784), (b) => b / 255),
  )
  return { indices: raw.indices, labels: raw.labels, images, torchOutputs: raw.torchOutputs }
}

/** The 1,000 fixed Fashion-MNIST t10k rows that evaluations use. */
export function fashionTestIndices(): number[] {
  return (
    JSON.parse(
      readFileSync(join(TORCH_FIXTURES_DIR, 'fashion-mnist-test-indices.json'), 'utf8'),
    ) as { indices: number[] }
  ).indices
}

export interface BreastCancerData {
  features: number[][]
  labels: number[]
  trainRows: number[]
  testRows: number[]
  /** tabular-sigmoid's torch probabilities for every row. */
  torchOutputs: number[]
}

/** sklearn's Wisconsin breast-cancer table with the fixture's split. */
export function breastCancer(): BreastCancerData {
  return JSON.parse(readFileSync(join(TORCH_FIXTURES_DIR, 'breast-cancer.json'), 'utf8'))
}
