/**
 * Cyclic slot rotation on plain arrays, with SEAL's sign convention: `rotate(x, k)[i] = x[(i + k) mod n]`
 * (a positive step moves values to lower slot indices, like `Evaluator::rotate_vector(ct, k)`).
 */
export function rotate(values: ArrayLike<number>, steps: number): Float64Array {
  const n = values.length
  const out = new Float64Array(n)
  if (n === 0) return out
  const shift = ((steps % n) + n) % n
  if (values instanceof Float64Array) {
    out.set(values.subarray(shift))
    out.set(values.subarray(0, shift), n - shift)
    return out
  }
  for (let i = 0; i < n; i++) out[i] = values[(i + shift) % n]
  return out
}

/** Smallest power of two >= value (1 for value <= 1). */
export function nextPowerOfTwo(value: number): number {
  let power = 1
  while (power < value) power *= 2
  return power
}
