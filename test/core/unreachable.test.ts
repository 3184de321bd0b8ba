import { describe, expect, it } from 'vitest'
import { unreachable } from '../../core/unreachable.ts'

type Shape = { kind: 'square' } | { kind: 'circle' }

function area(shape: Shape): number {
  switch (shape.kind) {
    case 'square':
      return 1
    case 'circle':
      return Math.PI
    default:
      return unreachable(shape)
  }
}

describe('unreachable', () => {
  it('throws with the unhandled kind when a value from outside the types reaches it', () => {
    expect(area({ kind: 'square' })).toBe(1)
    expect(() => area({ kind: 'triangle' } as unknown as Shape)).toThrow(
      "unreachable: unhandled kind 'triangle'",
    )
  })
})
