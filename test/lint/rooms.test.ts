/**
 * The room rules of eslint.config.js (docs/design.md, "Import rules"), checked through ESLint's Node
 * API on in-memory fixtures: a wrong arrow fails lint, a right one passes, and every product file
 * falls under its room's block.
 */
import { execFileSync } from 'node:child_process'
import { ESLint } from 'eslint'
import { describe, expect, it } from 'vitest'

const eslint = new ESLint({ cwd: process.cwd() })

async function importProblems(filePath: string, specifier: string): Promise<string[]> {
  const code = `import { value } from '${specifier}'\nexport { value }\n`
  const [result] = await eslint.lintText(code, { filePath })
  return result.messages
    .filter((message) => message.ruleId === 'no-restricted-imports')
    .map((message) => message.message)
}

describe('room rules', () => {
  it.each([
    ['core/wire/fixture.ts', '../../service/http/app.ts', 'core/ may not import service/http/'],
    ['core/fixture.ts', '../service/main.ts', 'core/ may not import service/'],
    ['cli/commands/fixture.ts', '../../bench/run.ts', 'cli/ may not import bench/'],
    ['training/fixture.ts', '../cli/progress.ts', 'training/ may not import cli/'],
    [
      'training/fixture.ts',
      '../service/models/index.ts',
      'training/ may not import service/models/',
    ],
    [
      'client/fixture.ts',
      '../service/compiler/plan.ts',
      'client/ may not import service/compiler/',
    ],
    [
      'service/compiler/front/fixture.ts',
      '../../runtime/backend.ts',
      'service/compiler/ may not import service/runtime/',
    ],
    [
      'service/pool/fixture.ts',
      '../plain/onnx-runtime.ts',
      'service/pool/ may not import service/plain/',
    ],
    [
      'service/http/routes/fixture.ts',
      '../../../service/compiler/compile.ts',
      'service/http/ may not import service/compiler/',
    ],
    ['service/compiler/fixture.ts', 'node-seal', 'service/compiler/ may not import this package'],
    [
      'service/compiler/plan/fixture.ts',
      '../lower.ts',
      'service/compiler/plan/ may not import the rest of service/compiler/',
    ],
    [
      'service/compiler/plan/fixture.ts',
      '../../runtime/seal/seal-backend.ts',
      'service/compiler/ may not import service/runtime/',
    ],
    ['client/fixture.ts', 'express', 'client/ may not import this package'],
  ])('%s importing %s fails lint', async (filePath, specifier, expected) => {
    const problems = await importProblems(filePath, specifier)
    expect(problems).toHaveLength(1)
    expect(problems[0]).toContain(expected)
  })

  it.each([
    ['cli/commands/fixture.ts', '../../service/models/index.ts'],
    ['cli/commands/fixture.ts', '../../training/pipeline.ts'],
    ['bench/fixture.ts', '../service/runtime/seal/local-round-trip.ts'],
    ['service/runtime/seal/fixture.ts', '../plain/float64-backend.ts'],
    ['service/runtime/fixture.ts', '../compiler/plan/plan.ts'],
    ['service/compiler/plan/fixture.ts', './plan.ts'],
    ['service/compiler/fixture.ts', './plan/execute-plan.ts'],
    ['service/pool/fixture.ts', '../runtime/plain/float64-backend.ts'],
    ['service/http/routes/fixture.ts', '../../config.ts'],
    ['service/main.ts', './http/app.ts'],
    ['web/fixture.ts', '../client/index.ts'],
  ])('%s importing %s passes', async (filePath, specifier) => {
    expect(await importProblems(filePath, specifier)).toEqual([])
  })

  it('covers every product file with its room block', async () => {
    const tracked = execFileSync('git', ['ls-files', '*.ts'], { encoding: 'utf8' })
      .split('\n')
      .filter((path) => path !== '' && !path.startsWith('test/') && path.includes('/'))
    expect(tracked.length).toBeGreaterThan(100)
    const uncovered: string[] = []
    for (const path of tracked) {
      const config = await eslint.calculateConfigForFile(path)
      const rule = config?.rules?.['no-restricted-imports']
      if (!Array.isArray(rule) || rule[0] !== 2) uncovered.push(path)
    }
    expect(uncovered).toEqual([])
  })
})
