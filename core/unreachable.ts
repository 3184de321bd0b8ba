/**
 * The default branch of a switch over a closed union: `default: return unreachable(op)`. Adding a
 * member to the union then makes the type checker list every switch that must handle it. At run time
 * (a value from outside the types, such as a hand-edited plan) it throws a plain Error: reaching it
 * is a bug, not bad input.
 */
export function unreachable(value: never): never {
  const seen: unknown = value
  const name =
    typeof seen === 'object' && seen !== null && 'kind' in seen
      ? `kind '${String(seen.kind)}'`
      : typeof seen === 'string' || typeof seen === 'number'
        ? `'${seen}'`
        : typeof seen
  throw new Error(`unreachable: unhandled ${name}`)
}
