/**
 * One-run privacy auditing: Steinke, Nasr and Jagielski 2023, "Privacy Auditing with One (1)
 * Training Run" (NeurIPS 2023, arXiv:2305.08846).
 *
 * m canaries are each inserted into the training set independently with probability 1/2; after ONE
 * training run the auditor scores every canary, guesses "in" for the k highest scores and "out" for
 * the k lowest (abstaining on the rest), and counts its correct guesses v among r = 2k. If the
 * training run is (epsilon, delta)-DP, v is stochastically dominated by Binomial(r, e^eps/(1+e^eps))
 * up to a delta term (their Theorem 3.3, Appendix D):
 *
 *   P[V >= v] <= P[Binomial(r, p) >= v] + 2 m delta max_{1 <= i <= v} P[v - i <= Binomial(r, p) < v] / i,
 *   p = e^eps / (1 + e^eps).
 *
 * The empirical lower bound is the largest epsilon at which that p-value is still below 1 - confidence:
 * a training run that really is (epsilon, delta)-DP produces a lower bound above epsilon with
 * probability at most 1 - confidence. Several guess counts k are tried; the confidence is split
 * among them (Bonferroni), so reporting the best one keeps its stated confidence.
 */
import { PrivinferError } from '../../core/errors.ts'

/** log of the binomial pmf P[Binomial(n, p) = k]. */
function logBinomialPmf(n: number, k: number, p: number): number {
  if (p <= 0) return k === 0 ? 0 : -Infinity
  if (p >= 1) return k === n ? 0 : -Infinity
  return logChoose(n, k) + k * Math.log(p) + (n - k) * Math.log1p(-p)
}

const logFactorials: number[] = [0]
function logFactorial(n: number): number {
  for (let i = logFactorials.length; i <= n; i++)
    logFactorials.push(logFactorials[i - 1] + Math.log(i))
  return logFactorials[n]
}

function logChoose(n: number, k: number): number {
  return logFactorial(n) - logFactorial(k) - logFactorial(n - k)
}

/**
 * p-value of at least `correct` correct guesses out of `guesses` under the null hypothesis that the
 * training run was (epsilon, delta)-DP with `canaries` canaries (Steinke et al. 2023, Appendix D).
 */
export function oneRunPValue(args: {
  canaries: number
  guesses: number
  correct: number
  epsilon: number
  delta: number
}): number {
  const { canaries: m, guesses: r, correct: v, epsilon, delta } = args
  if (!(
    Number.isInteger(m) &&
    Number.isInteger(r) &&
    Number.isInteger(v) &&
    0 <= v &&
    v <= r &&
    r <= m
  )) {
    throw new PrivinferError(
      'BAD_REQUEST',
      'one-run audit needs integers 0 <= correct <= guesses <= canaries',
      {
        canaries: m,
        guesses: r,
        correct: v,
      },
    )
  }
  const p = 1 / (1 + Math.exp(-epsilon))
  // P[Binomial(r, p) >= v], summed from the top (no cancellation).
  let tail = 0
  for (let k = r; k >= v; k--) tail += Math.exp(logBinomialPmf(r, k, p))
  let alpha = 0
  let below = 0
  for (let i = 1; i <= v; i++) {
    below += Math.exp(logBinomialPmf(r, v - i, p))
    alpha = Math.max(alpha, below / i)
  }
  return Math.min(1, tail + 2 * m * delta * alpha)
}

/**
 * Largest epsilon whose p-value is below 1 - confidence: the run is NOT (epsilon, delta)-DP at that
 * confidence. 0 when the guesses are no better than chance.
 * @example oneRunEpsilonLowerBound({ canaries: 1000, guesses: 200, correct: 200, delta: 1e-5, confidence: 0.95 }) // ~4.2
 */
export function oneRunEpsilonLowerBound(args: {
  canaries: number
  guesses: number
  correct: number
  delta: number
  confidence: number
}): number {
  const { confidence } = args
  if (!(confidence > 0 && confidence < 1)) {
    throw new PrivinferError('BAD_REQUEST', 'confidence must be in (0, 1)', { confidence })
  }
  const level = 1 - confidence
  const pValueAt = (epsilon: number) => oneRunPValue({ ...args, epsilon })
  if (pValueAt(0) >= level) return 0
  let low = 0
  let high = 1
  while (pValueAt(high) < level) {
    low = high
    high *= 2
    if (high > 1e4) return Infinity
  }
  for (let iteration = 0; iteration < 60; iteration++) {
    const middle = (low + high) / 2
    if (pValueAt(middle) < level) low = middle
    else high = middle
  }
  return low
}

export interface OneRunAudit {
  canaries: number
  /** Canaries that were inserted (the coin flips' 1s). */
  inserted: number
  delta: number
  confidence: number
  /** The guess counts tried (k in, k out each) and each one's correct guesses. */
  trials: Array<{ guesses: number; correct: number; epsilonLowerBound: number }>
  /** The best trial's bound at confidence / trials (Bonferroni), the reported figure. */
  epsilonLowerBound: number
  bestGuesses: number
  bestCorrect: number
}

/**
 * Audits canary scores: `scores[i]` is the auditor's membership score of canary i (higher = "in"),
 * `inserted[i]` whether it was in the training set.
 * @param guessCounts numbers k: guess "in" for the k highest and "out" for the k lowest scores
 */
export function auditCanaryScores(
  scores: ArrayLike<number>,
  inserted: ArrayLike<boolean | number>,
  options: { delta: number; confidence?: number; guessCounts: number[] },
): OneRunAudit {
  const m = scores.length
  const confidence = options.confidence ?? 0.95
  const order = Array.from({ length: m }, (_, i) => i).sort((a, b) => scores[b] - scores[a])
  const perTrialConfidence = 1 - (1 - confidence) / options.guessCounts.length
  const trials = options.guessCounts.map((k) => {
    if (!(Number.isInteger(k) && k >= 1 && 2 * k <= m)) {
      throw new PrivinferError('BAD_REQUEST', `guess count ${k} must be in [1, canaries / 2]`, {
        k,
        m,
      })
    }
    let correct = 0
    for (let j = 0; j < k; j++) if (inserted[order[j]]) correct++
    for (let j = m - k; j < m; j++) if (!inserted[order[j]]) correct++
    return {
      guesses: 2 * k,
      correct,
      epsilonLowerBound: oneRunEpsilonLowerBound({
        canaries: m,
        guesses: 2 * k,
        correct,
        delta: options.delta,
        confidence: perTrialConfidence,
      }),
    }
  })
  const best = trials.reduce((a, b) => (b.epsilonLowerBound > a.epsilonLowerBound ? b : a))
  let insertedCount = 0
  for (let i = 0; i < m; i++) if (inserted[i]) insertedCount++
  return {
    canaries: m,
    inserted: insertedCount,
    delta: options.delta,
    confidence,
    trials,
    epsilonLowerBound: best.epsilonLowerBound,
    bestGuesses: best.guesses,
    bestCorrect: best.correct,
  }
}
