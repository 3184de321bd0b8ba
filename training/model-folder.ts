/**
 * Writes models/<id>/: model.onnx, card.json, card.md, test-indices.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { renderCardMarkdown } from './card/card-markdown.ts'
import type { TrainingCard } from './card/training-card.ts'

export interface ModelFolderContents {
  onnxBytes: Uint8Array
  card: TrainingCard
  /** Rows of the source dataset forming the test split. */
  testIndices: Int32Array
  testIndicesSource: string
}

/** @returns the folder path. */
export function writeModelFolder(modelsDir: string, contents: ModelFolderContents): string {
  const folder = join(modelsDir, contents.card.id)
  mkdirSync(folder, { recursive: true })
  writeFileSync(join(folder, contents.card.onnxFile), contents.onnxBytes)
  writeFileSync(
    join(folder, 'test-indices.json'),
    JSON.stringify({
      source: contents.testIndicesSource,
      count: contents.testIndices.length,
      indices: Array.from(contents.testIndices),
    }) + '\n',
  )
  writeCard(folder, contents.card)
  return folder
}

/** (Re)writes card.json and card.md of a model folder. */
export function writeCard(folder: string, card: TrainingCard): void {
  writeFileSync(
    join(folder, 'card.json'),
    JSON.stringify(
      card,
      (_key, value) => (typeof value === 'number' && Number.isNaN(value) ? null : value),
      2,
    ) + '\n',
  )
  writeFileSync(join(folder, 'card.md'), renderCardMarkdown(card))
}
