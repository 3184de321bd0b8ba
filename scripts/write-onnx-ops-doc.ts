/**
 * Writes docs/onnx-ops.md from the front end's op table (service/compiler/front/op-table.ts),
 * formatted with the repo's Prettier config. Run after adding an op:
 * `node scripts/write-onnx-ops-doc.ts` (test/service/compiler/front/op-table.test.ts fails while
 * they differ).
 */
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import prettier from 'prettier'
import { onnxOpsMarkdown } from '../service/compiler/front/op-table.ts'

const DOC = new URL('../docs/onnx-ops.md', import.meta.url)

/** Markdown as `prettier --write` leaves it (the repo's config). */
export async function formatMarkdown(markdown: string): Promise<string> {
  const config = (await prettier.resolveConfig(fileURLToPath(DOC))) ?? {}
  return prettier.format(markdown, { ...config, parser: 'markdown' })
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(DOC, await formatMarkdown(onnxOpsMarkdown()))
  console.log(`wrote ${fileURLToPath(DOC)}`)
}
