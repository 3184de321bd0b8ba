import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCkksContext, type CkksContext } from '../../../core/ckks/context.ts'
import { createClientKeys } from '../../../core/he/client-keys.ts'
import { callSeal, SealError } from '../../../core/seal/exceptions.ts'
import { loadSeal, type SealModule } from '../../../core/seal/load.ts'
import { isSealStackGuarded, stackGuardOf } from '../../../core/seal/stack-guard.ts'
import { freshTolerance, N4096, thrownBy } from '../support/params.ts'

let seal: SealModule
let ctx: CkksContext

/** A SEAL header followed by too little data: Ciphertext::load throws std::runtime_error. */
const shortCiphertext = Uint8Array.from([
  0x5e,
  0xa1,
  16,
  4,
  1,
  0,
  0,
  0,
  40,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  ...new Array(24).fill(0),
])

beforeAll(async () => {
  seal = await loadSeal()
  ctx = createCkksContext(seal, N4096)
})
afterAll(() => ctx.delete())

describe('callSeal', () => {
  it('has found the stack guard of this node-seal build', () => {
    expect(isSealStackGuarded(seal)).toBe(true)
  })

  it('turns a C++ exception into a SealError with its type and message', () => {
    const ciphertext = new seal.Ciphertext()
    const error = thrownBy(() =>
      callSeal(seal, () => ciphertext.loadFromArray(ctx.context, shortCiphertext)),
    )
    ciphertext.delete()
    expect(error).toBeInstanceOf(SealError)
    expect((error as SealError).cppType).toBe('std::runtime_error')
    expect((error as Error).message).toContain('input buffer ended unexpectedly')
  })

  it('restores the WebAssembly stack pointer after an exception', () => {
    const guard = stackGuardOf(seal)!
    const before = guard.save()
    const ciphertext = new seal.Ciphertext()
    thrownBy(() => callSeal(seal, () => ciphertext.loadFromArray(ctx.context, shortCiphertext)))
    ciphertext.delete()
    expect(guard.save()).toBe(before)
  })

  it('passes results and JavaScript errors through unchanged', () => {
    expect(callSeal(seal, () => 42)).toBe(42)
    const jsError = new TypeError('not SEAL')
    expect(
      thrownBy(() =>
        callSeal(seal, () => {
          throw jsError
        }),
      ),
    ).toBe(jsError)
  })

  it('survives 5,000 SEAL exceptions (unguarded, node-seal fails after about 3,700)', () => {
    for (let i = 0; i < 5000; i++) {
      const ciphertext = new seal.Ciphertext()
      try {
        callSeal(seal, () => ciphertext.loadFromArray(ctx.context, shortCiphertext))
      } catch (error) {
        if (!(error instanceof SealError)) throw error
      } finally {
        ciphertext.delete()
      }
    }
    // SEAL still works.
    const keys = createClientKeys(ctx, { galoisSteps: [], relin: false })
    const ciphertext = keys.encrypt([1.5, -2.5])
    const [a, b] = keys.decrypt(ciphertext)
    ciphertext.delete()
    keys.delete()
    expect(Math.abs(a - 1.5)).toBeLessThan(freshTolerance(N4096))
    expect(Math.abs(b + 2.5)).toBeLessThan(freshTolerance(N4096))
  })
})
