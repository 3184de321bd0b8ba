/**
 * Node attributes: constructors for writers (`attr.int(1)`) and typed getters for readers.
 */
import { PrivinferError } from '../core/errors.ts'
import type { OnnxAttribute, OnnxNode, OnnxTensor } from './graph.ts'

/** An attribute a writer can store: every OnnxAttribute kind but 'unsupported'. */
export type OnnxAttributeInput = Exclude<OnnxAttribute, { kind: 'unsupported' }>

/** Attribute constructors for OnnxModelBuilder.addNode, e.g. `{ transB: attr.int(1), alpha: attr.float(0.5) }`. */
export const attr = {
  int: (value: number): OnnxAttributeInput => ({ kind: 'int', value }),
  float: (value: number): OnnxAttributeInput => ({ kind: 'float', value }),
  string: (value: string): OnnxAttributeInput => ({ kind: 'string', value }),
  tensor: (value: OnnxTensor): OnnxAttributeInput => ({ kind: 'tensor', value }),
  ints: (value: number[]): OnnxAttributeInput => ({ kind: 'ints', value }),
  floats: (value: number[]): OnnxAttributeInput => ({ kind: 'floats', value }),
  strings: (value: string[]): OnnxAttributeInput => ({ kind: 'strings', value }),
} as const

function attributeOf<K extends OnnxAttribute['kind']>(
  node: OnnxNode,
  name: string,
  kind: K,
): Extract<OnnxAttribute, { kind: K }> | undefined {
  const attribute = node.attributes[name]
  if (attribute === undefined) return undefined
  if (attribute.kind !== kind) {
    throw new PrivinferError(
      'INVALID_MODEL',
      `node '${node.name}' (${node.opType}): attribute '${name}' is ${attribute.kind}, expected ${kind}`,
      { node: node.name, attribute: name },
    )
  }
  return attribute as Extract<OnnxAttribute, { kind: K }>
}

/** An int attribute or its default. @throws PrivinferError INVALID_MODEL when it has another kind. */
export function intAttribute(node: OnnxNode, name: string, fallback: number): number {
  return attributeOf(node, name, 'int')?.value ?? fallback
}

/** A float attribute or its default. @throws PrivinferError INVALID_MODEL when it has another kind. */
export function floatAttribute(node: OnnxNode, name: string, fallback: number): number {
  return attributeOf(node, name, 'float')?.value ?? fallback
}

/** An ints attribute, or undefined. @throws PrivinferError INVALID_MODEL when it has another kind. */
export function intsAttribute(node: OnnxNode, name: string): number[] | undefined {
  return attributeOf(node, name, 'ints')?.value
}

/** A tensor attribute, or undefined. @throws PrivinferError INVALID_MODEL when it has another kind. */
export function tensorAttribute(node: OnnxNode, name: string): OnnxTensor | undefined {
  return attributeOf(node, name, 'tensor')?.value
}

/** A string attribute, or undefined. @throws PrivinferError INVALID_MODEL when it has another kind. */
export function stringAttribute(node: OnnxNode, name: string): string | undefined {
  return attributeOf(node, name, 'string')?.value
}
