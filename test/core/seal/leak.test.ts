import { beforeAll, describe, expect, it } from 'vitest'
import type { InputLayout, OutputLayout } from '../../../core/card.ts'
import { createCkksContext } from '../../../core/ckks/context.ts'
import {
  createClientKeys,
  decryptOutput,
  encryptInput,
  loadEvaluationKeys,
} from '../../../core/he/index.ts'
import { loadSeal, type Ciphertext, type SealModule } from '../../../core/seal/load.ts'
import { sealHeapBytes } from '../../../core/seal/stack-guard.ts'
import { loadCiphertext, saveCiphertext } from '../../../core/wire/ciphertext.ts'
import { N4096 } from '../support/params.ts'

let seal: SealModule

const inputLayout: InputLayout = {
  slotCount: 2048,
  inputSize: 4,
  blocks: [{ slotStart: 0, length: 4, inputOffset: 0 }],
}
const outputLayout: OutputLayout = {
  slotCount: 2048,
  outputSize: 4,
  offset: 0,
  period: 4,
  copies: 1,
}

/** One full client/server round trip plus rejected uploads, freeing everything it makes. */
function roundTrip(): void {
  const ctx = createCkksContext(seal, N4096)
  const keys = createClientKeys(ctx, { galoisSteps: [1], relin: true })
  const evaluationKeys = loadEvaluationKeys(ctx, keys.evaluationKeyBundle(), {
    galoisSteps: [1],
    relin: true,
  })
  const encrypted = encryptInput(ctx, keys, inputLayout, [0.5, 1, 1.5, 2])
  const input = loadCiphertext(ctx, encrypted, { level: 1 })
  ctx.evaluator.rotateVectorInplace(input, 1, evaluationKeys.galoisKeys)
  ctx.evaluator.squareInplace(input)
  ctx.evaluator.relinearizeInplace(input, evaluationKeys.relinKeys!)
  ctx.evaluator.rescaleToNextInplace(input)
  const result = saveCiphertext(ctx, input, 'zstd')
  input.delete()
  decryptOutput(ctx, keys, result, outputLayout, 0)
  // Rejections: in the pre-checks (wrong level) and inside SEAL (coefficient out of range).
  expect(() => loadCiphertext(ctx, encrypted, { level: 0 })).toThrow()
  const corrupt = keys.encryptSerialized([1], { compression: 'none' })
  corrupt[113 + 7] |= 0x80
  expect(() => loadCiphertext(ctx, corrupt, { level: 1 })).toThrow(/SEAL refused/)
  evaluationKeys.delete()
  keys.delete()
  ctx.delete()
}

beforeAll(async () => {
  seal = await loadSeal()
})

describe('SEAL object lifetimes', () => {
  it('reads the WebAssembly heap size', () => {
    expect(sealHeapBytes(seal)).toBeGreaterThan(0)
  })

  it('does not grow the heap over 20 round trips after warm-up (everything is deleted)', () => {
    for (let i = 0; i < 3; i++) roundTrip()
    const heapAfterWarmUp = sealHeapBytes(seal)
    for (let i = 0; i < 20; i++) roundTrip()
    expect(sealHeapBytes(seal)).toBe(heapAfterWarmUp)
  })

  it('would see a leak: 300 ciphertexts kept alive grow the heap', () => {
    const ctx = createCkksContext(seal, N4096)
    const keys = createClientKeys(ctx, { galoisSteps: [], relin: false })
    const before = sealHeapBytes(seal)!
    const kept: Ciphertext[] = []
    for (let i = 0; i < 300; i++) kept.push(keys.encrypt([i]))
    expect(sealHeapBytes(seal)!).toBeGreaterThan(before)
    for (const ciphertext of kept) ciphertext.delete()
    keys.delete()
    ctx.delete()
  })
})
