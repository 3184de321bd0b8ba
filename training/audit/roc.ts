/**
 * ROC analysis of a membership-inference attack: higher score = "member". AUC by the rank statistic
 * (ties count 1/2), TPR at a fixed FPR by the strict-threshold rule (Carlini et al. 2022,
 * arXiv:2112.03570: report TPR at low FPR, not only AUC).
 */
export interface RocCurve {
  /** Points (fpr, tpr) from (0, 0) to (1, 1), one per distinct threshold. */
  fpr: number[]
  tpr: number[]
  auc: number
}

export function computeRoc(
  memberScores: ArrayLike<number>,
  nonMemberScores: ArrayLike<number>,
): RocCurve {
  const all: Array<{ score: number; member: boolean }> = []
  for (let i = 0; i < memberScores.length; i++) all.push({ score: memberScores[i], member: true })
  for (let i = 0; i < nonMemberScores.length; i++)
    all.push({ score: nonMemberScores[i], member: false })
  all.sort((x, y) => y.score - x.score)
  const positives = memberScores.length
  const negatives = nonMemberScores.length
  const fpr = [0]
  const tpr = [0]
  let tp = 0
  let fp = 0
  let auc = 0
  for (let i = 0; i < all.length;) {
    let j = i
    let groupTp = 0
    let groupFp = 0
    while (j < all.length && all[j].score === all[i].score) {
      if (all[j].member) groupTp++
      else groupFp++
      j++
    }
    // Trapezoid over the tie group = rank statistic with ties counted 1/2.
    auc += (groupFp / negatives) * ((tp + groupTp / 2) / positives)
    tp += groupTp
    fp += groupFp
    fpr.push(fp / negatives)
    tpr.push(tp / positives)
    i = j
  }
  return { fpr, tpr, auc }
}

/** Largest TPR over thresholds whose FPR is <= `maxFpr` (0 if none). */
export function tprAtFpr(curve: RocCurve, maxFpr: number): number {
  let best = 0
  for (let i = 0; i < curve.fpr.length; i++)
    if (curve.fpr[i] <= maxFpr + 1e-12) best = Math.max(best, curve.tpr[i])
  return best
}

/** The curve thinned to at most `points` points (for plots and cards), keeping both ends. */
export function thinCurve(curve: RocCurve, points: number): { fpr: number[]; tpr: number[] } {
  if (curve.fpr.length <= points) return { fpr: curve.fpr.slice(), tpr: curve.tpr.slice() }
  const fpr: number[] = []
  const tpr: number[] = []
  const stride = (curve.fpr.length - 1) / (points - 1)
  for (let p = 0; p < points; p++) {
    const i = Math.round(p * stride)
    fpr.push(curve.fpr[i])
    tpr.push(curve.tpr[i])
  }
  return { fpr, tpr }
}
