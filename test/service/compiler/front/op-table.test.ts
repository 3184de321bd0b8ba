/**
 * The op table is the single source of the supported set, the rejection reasons and the docs.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { OnnxModelBuilder } from '../../../../onnx/builder.ts'
import {
  ONNX_OPS,
  SUPPORTED_OPS,
  UNKNOWN_OP_REASON,
  onnxOpsMarkdown,
} from '../../../../service/compiler/front/op-table.ts'
import { UnsupportedModelError } from '../../../../service/compiler/front/unsupported-model-error.ts'
import { importOnnx } from '../../../../service/compiler/onnx-import.ts'
import { formatMarkdown } from '../../../../scripts/write-onnx-ops-doc.ts'

/** The problems importOnnx reports for x -> <opType> -> Identity -> z (not a trailing op). */
function problemsOf(opType: string) {
  const builder = new OnnxModelBuilder({ opset: 13 })
  builder.addInput('x', ['batch', 4])
  builder.addNode(opType, ['x'], ['y'], {}, 'node')
  builder.addNode('Identity', ['y'], ['z'], {}, 'identity')
  builder.addOutput('z', ['batch', 4])
  try {
    importOnnx(builder.toBytes())
  } catch (error) {
    if (error instanceof UnsupportedModelError) return error.unsupported
    throw error
  }
  return []
}

describe('ONNX_OPS', () => {
  it('docs/onnx-ops.md is generated from the table (node scripts/write-onnx-ops-doc.ts)', async () => {
    const docs = readFileSync(new URL('../../../../docs/onnx-ops.md', import.meta.url), 'utf8')
    expect(docs).toBe(await formatMarkdown(onnxOpsMarkdown()))
    for (const opType of Object.keys(ONNX_OPS))
      expect(docs).toMatch(new RegExp(`^\\| ${opType} +\\|`, 'm'))
  })

  it('rejects every unsupported entry with the reason of its table line', () => {
    const unsupported = Object.entries(ONNX_OPS).filter(([, entry]) => entry.kind === 'unsupported')
    expect(unsupported.length).toBeGreaterThan(10)
    for (const [opType, entry] of unsupported) {
      if (entry.kind !== 'unsupported') continue
      expect(problemsOf(opType)).toEqual([{ node: 'node', opType, reason: entry.reason }])
    }
    expect(problemsOf('NoSuchOp')).toEqual([
      { node: 'node', opType: 'NoSuchOp', reason: UNKNOWN_OP_REASON },
    ])
  })

  it('lists the supported ops in table order, each with an importer', () => {
    expect(SUPPORTED_OPS).toContain('Gemm')
    for (const opType of SUPPORTED_OPS) {
      const entry = ONNX_OPS[opType]
      expect(entry.kind === 'supported' && typeof entry.importer).toBe('function')
    }
  })
})
