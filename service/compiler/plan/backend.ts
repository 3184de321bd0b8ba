/**
 * What the plan executor needs from a ciphertext implementation (STYLE.md §5). Implemented by
 * exact-backend.ts here (float64 slots, no scale: the compiler's reference), and in service/runtime
 * by plain/float64-backend.ts (values + level/scale bookkeeping), seal/seal-backend.ts (node-seal)
 * and counting-backend.ts (a wrapper that counts calls). Plaintexts are referenced by plan id; each backend
 * prepares them once (at load), so nothing is encoded per query.
 *
 * Ownership: every returned C is new and owned by the caller, who must `free` it; in-place methods
 * modify their first argument only.
 */
export interface HeBackend<C> {
  /** rot(x, steps) with SEAL's sign convention (core/layout/rotate.ts). */
  rotate(x: C, steps: number): C
  /** x ⊙ plaintext(id). */
  multiplyPlain(x: C, plaintext: number): C
  /**
   * accumulator ← accumulator + x (same level and scale). `correlated`: the two errors derive
   * from the same ciphertext (a polynomial's terms), which the noise model must add linearly; x
   * may then be the accumulator itself (doubling).
   */
  addInPlace(accumulator: C, x: C, correlated?: boolean): void
  addPlainInPlace(x: C, plaintext: number): void
  /** x ← x² followed by relinearization. */
  squareInPlace(x: C): void
  /** accumulator ← accumulator ⊙ x (same level) followed by relinearization. */
  multiplyInPlace(accumulator: C, x: C): void
  /** The level of x (the number of data primes it carries minus one). */
  levelOf(x: C): number
  rescaleInPlace(x: C): void
  modSwitchToInPlace(x: C, level: number): void
  clone(x: C): C
  free(x: C): void
}
