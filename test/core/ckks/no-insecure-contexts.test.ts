import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..', '..', '..')
const SOURCE_FOLDERS = ['core', 'service', 'client', 'cli', 'training', 'bench', 'web']

function sourceFiles(folder: string): string[] {
  let entries: string[]
  try {
    entries = readdirSync(folder)
  } catch {
    return []
  }
  return entries.flatMap((entry) => {
    const path = join(folder, entry)
    if (entry === 'node_modules' || entry === 'dist') return []
    if (statSync(path).isDirectory()) return sourceFiles(path)
    return /\.(ts|js|mjs)$/.test(entry) ? [path] : []
  })
}

describe('128-bit security everywhere', () => {
  it('no source file uses SecLevelType.none (contexts are made with tc128 only)', () => {
    const files = SOURCE_FOLDERS.flatMap((folder) => sourceFiles(join(ROOT, folder)))
    expect(files.length).toBeGreaterThan(10)
    const offenders = files
      .filter((file) =>
        /SecLevelType\s*(\.\s*none|\[\s*['"]none['"]\s*\])/.test(readFileSync(file, 'utf8')),
      )
      .map((file) => relative(ROOT, file))
    expect(offenders).toEqual([])
  })
})
