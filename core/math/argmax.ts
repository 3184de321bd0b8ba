/**
 * Index of the largest of `values[offset]` .. `values[offset + length - 1]`, relative to `offset`;
 * the first one on ties. Row r of a row-major count × classes buffer: `argmax(logits, r * classes, classes)`.
 * A NaN never replaces the current best. Returns 0 when `length` is 0.
 */
export function argmax(
  values: ArrayLike<number>,
  offset = 0,
  length = values.length - offset,
): number {
  let best = 0
  for (let i = 1; i < length; i++) if (values[offset + i] > values[offset + best]) best = i
  return best
}
