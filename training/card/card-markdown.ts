/**
 * models/<id>/card.md: the Hugging Face annotated model-card sections plus DP, HE and Audit
 * (STYLE.md §11), rendered from card.json.
 */
import type { TrainingCard } from './training-card.ts'

export function renderCardMarkdown(card: TrainingCard): string {
  return [
    `# ${card.title}`,
    '',
    card.description,
    '',
    ...modelDetails(card),
    ...intendedUse(card),
    ...trainingDataAndProcedure(card),
    ...evaluation(card),
    ...differentialPrivacy(card),
    ...homomorphicEncryption(card),
    ...membershipAudit(card),
    ...limitations(card),
  ].join('\n')
}

/** Id, file, architecture, input and output, and the privacy guarantee in one line. */
function modelDetails(card: TrainingCard): string[] {
  const training = (card.training ?? {}) as Record<string, unknown>
  const privacy = card.privacy
  const lines: string[] = []
  lines.push('## Model details', '')
  const linear = !String(training.architecture).includes(
    '-',
    String(training.architecture).indexOf('-') + 1,
  )
  lines.push(
    linear
      ? `- Id: \`${card.id}\`; file: \`${card.onnxFile}\` (ONNX opset 13: one Gemm).`
      : `- Id: \`${card.id}\`; file: \`${card.onnxFile}\` (ONNX opset 13: Gemm + Mul/Add polynomial activations).`,
  )
  lines.push(
    linear
      ? `- Architecture: ${String(training.architecture)}, linear (no activation: one matrix-vector product under HE).`
      : `- Architecture: ${String(training.architecture)}, activation ${String(training.activation)}${formatCoefficients(training.activationCoefficients)}.`,
  )
  lines.push(
    card.input.preprocessing.kind === 'scattering'
      ? `- Input: a 28x28 image (${card.input.rawSize} values in [0, 1]); the client computes the ${card.input.preprocessing.transform} scattering features (${card.input.size} values, docs/api.md) in the clear before encryption.`
      : `- Input: ${card.input.rawSize} raw values in [0, 1]; client-side public preprocessing \`${JSON.stringify(card.input.preprocessing)}\` -> ${card.input.size} values. The normalization (x - ${(training.inputNormalization as { mean: number })?.mean}) / ${(training.inputNormalization as { std: number })?.std} is folded into the first layer.`,
  )
  lines.push(`- Output: ${card.output.size} logits; labels ${card.labels.join(', ')}.`)
  lines.push(
    `- Privacy: ${card.nonPrivate ? '**NON-PRIVATE** (no differential privacy)' : `(${privacy?.epsilon.toFixed(3)}, ${privacy?.delta})-DP for the training examples`}.`,
    '',
  )
  return lines
}

/** Intended and out-of-scope use. */
function intendedUse(card: TrainingCard): string[] {
  const lines: string[] = []
  lines.push('## Intended use', '')
  lines.push(
    '- Classifying 28x28 grayscale images of the training domain under homomorphic encryption with privinfer: the service never sees the input or the output.',
  )
  lines.push(
    card.nonPrivate
      ? '- A non-private baseline: shows what differential privacy costs in accuracy and what a membership-inference attack finds without it. Do not serve it for sensitive training data.'
      : '- Private inference on a model whose training data is protected by differential privacy.',
    '',
  )
  lines.push('## Out-of-scope use', '')
  lines.push(
    '- Any decision about people, or images outside the training distribution (no robustness or calibration claims).',
  )
  lines.push(
    '- Relying on the service to keep the model secret: model extraction through many queries is not prevented.',
    '',
  )
  return lines
}

/** Training data and procedure (how to reproduce the run). */
function trainingDataAndProcedure(card: TrainingCard): string[] {
  const training = (card.training ?? {}) as Record<string, unknown>
  const lines: string[] = []
  lines.push('## Training data', '')
  lines.push(
    `- ${String(training.dataSource)}. Train size ${card.data?.trainSize}, test size ${card.data?.testSize}; test rows in \`${card.data?.testIndicesFile}\`.`,
    '',
  )
  lines.push('## Training procedure', '')
  lines.push(`- Reproduce (seeded except the DP noise): \`${String(training.command)}\``)
  lines.push(
    `- Optimizer ${String(training.optimizer)}, learning rate ${String(training.learningRate)} (${String(training.schedule)}), ${String(training.epochs)} epochs, ${card.nonPrivate ? `batch size ${String(training.batchSize)}` : card.privacy?.sampleRate === 1 ? 'full batch (every example at every step)' : `expected batch size ${String(training.expectedBatchSize)} (Poisson)`}, ${String(training.steps)} steps, ${Number(training.trainSeconds).toFixed(0)} s on a shared 2-core machine.`,
  )
  const tuningNote = card.privacy?.notes?.find((note) => note.startsWith('Hyperparameters'))
  lines.push(
    `- ${tuningNote ?? 'Hyperparameters chosen on a validation split carved from the training set (never the test set).'}`,
    '',
  )
  return lines
}

/** Plaintext and HE accuracy. */
function evaluation(card: TrainingCard): string[] {
  const lines: string[] = []
  lines.push('## Evaluation', '')
  lines.push(`| metric | value |`, '|---|---|')
  lines.push(
    `| plaintext accuracy (onnxruntime-node, full test split, ${card.accuracy?.testExamples} examples) | ${percent(card.accuracy?.plaintext)} |`,
  )
  const heRows = (card.accuracy as { heTestExamples?: number } | undefined)?.heTestExamples
  const heScope =
    heRows === undefined || heRows === card.accuracy?.testExamples
      ? 'full test split'
      : `first ${heRows} test rows; onnxruntime on the same rows: ${percent((card.accuracy as { hePlaintextAccuracy?: number }).hePlaintextAccuracy)}`
  lines.push(`| HE accuracy (real CKKS encryption, ${heScope}) | ${percent(card.accuracy?.he)} |`)
  if (card.accuracy?.nonPrivateTwin !== undefined)
    lines.push(`| non-private twin accuracy | ${percent(card.accuracy.nonPrivateTwin)} |`)
  lines.push('')
  return lines
}

/** The DP guarantee and its parameters (none for a non-private model). */
function differentialPrivacy(card: TrainingCard): string[] {
  const privacy = card.privacy
  const lines: string[] = []
  lines.push('## Differential privacy', '')
  if (!privacy) {
    lines.push(
      'None. This model memorizes its training data as any non-private model can (see the audit).',
      '',
    )
  } else {
    lines.push('| quantity | value |', '|---|---|')
    lines.push(`| epsilon (RDP accountant, stated guarantee) | ${privacy.epsilonRdp.toFixed(3)} |`)
    lines.push(
      `| epsilon (PRV accountant, ${privacy.mechanism === undefined ? 'tighter estimate' : 'continuous-Gaussian reference, worse of add/remove'}) | ${Number.isNaN(privacy.epsilonPrv) || privacy.epsilonPrv === null ? 'not available' : privacy.epsilonPrv.toFixed(3)} |`,
    )
    lines.push(`| delta | ${privacy.delta} |`)
    lines.push(`| noise multiplier sigma | ${privacy.noiseMultiplier.toFixed(4)} |`)
    lines.push(`| clipping norm C | ${privacy.clippingNorm} |`)
    lines.push(
      privacy.sampleRate === 1
        ? '| sampling rate q | 1 (full batch: every example at every step) |'
        : `| sampling rate q (Poisson) | ${privacy.sampleRate.toFixed(5)} |`,
    )
    lines.push(`| steps / epochs | ${privacy.steps} / ${privacy.epochs} |`)
    if (privacy.nominalTrainSize !== undefined)
      lines.push(
        `| published training-set size (fixes q, steps, normalizer) | ${privacy.nominalTrainSize} |`,
      )
    if (privacy.mechanism !== undefined) lines.push(`| mechanism | ${privacy.mechanism} |`)
    lines.push('')
    for (const note of privacy.notes ?? []) lines.push(`- ${note}`)
    lines.push('- What it means and does not: see docs/privacy.md.', '')
    const set = privacy.recordSet
    if (set !== undefined) {
      const eps = (value: number | null) => (value === null ? 'none (infinity)' : value.toFixed(3))
      lines.push(
        `### Record set: ${set.id} (${set.records} records)`,
        '',
        `${set.description}.`,
        '',
      )
      lines.push('| release | epsilon | delta | served by default |', '|---|---|---|---|')
      for (const release of set.releases)
        lines.push(
          `| ${release.release} | ${eps(release.epsilon)} | ${release.delta ?? '-'} | ${release.servedByDefault ? 'yes' : 'no'} |`,
        )
      lines.push(
        `| **total, served by default** | **${eps(set.totalServedByDefault.epsilon)}** | ${set.totalServedByDefault.delta} | |`,
        `| **total, everything in the repository** | **${eps(set.totalInRepository.epsilon)}** | ${set.totalInRepository.delta ?? '-'} | |`,
        '',
      )
      for (const note of set.notes) lines.push(`- ${note}`)
      lines.push('')
    }
  }
  return lines
}

/** The CKKS parameters and the HE-vs-plain comparison. */
function homomorphicEncryption(card: TrainingCard): string[] {
  const lines: string[] = []
  lines.push('## Homomorphic encryption', '')
  if (!card.he) {
    lines.push(
      'Not compiled yet: run `npx privinfer import` on this folder (the HE parameters are added by the compiler).',
      '',
    )
  } else {
    const he = card.he
    lines.push(
      `- CKKS, N = ${he.polyModulusDegree}, coefficient modulus ${he.coeffModulusBits.join('+')} bits, scale 2^${he.scaleBits}, depth ${he.depth}, 128-bit security.`,
    )
    lines.push(`- Galois steps: ${he.galoisSteps.join(', ')}.`)
    if (card.input.layout)
      lines.push(
        `- Input layout: ${card.input.layout.blocks.length} blocks in ${card.input.layout.slotCount} slots.`,
      )
    if (card.comparison)
      lines.push(
        `- max |HE - plain| on logits: ${card.comparison.maxAbsError.toExponential(2)} (tolerance ${card.comparison.tolerance.toExponential(2)}), argmax agreement ${card.comparison.argmaxAgreement}.`,
      )
    lines.push('')
  }
  return lines
}

/** The canary audit of a served recipe, or the membership-inference attacks of older cards. */
function membershipAudit(card: TrainingCard): string[] {
  const audit = (card.audit ?? {}) as {
    attacks?: AttackRow[]
    nonPrivateTwin?: { id?: string; attacks?: AttackRow[] }
    canary?: CanaryAuditRow
    naturalExamples?: FiguresRow & { attack: string }
    recordSet?: string
    records?: number
    reading?: string
  }
  const lines: string[] = []
  if (audit.canary !== undefined) {
    const oneRun = audit.canary.oneRun
    lines.push('## Audit: one-run canary audit (on the public proxy)', '')
    lines.push(
      `The served recipe's mechanism trained once on ${audit.records} records of ${audit.recordSet} plus ${oneRun.canaries} canaries (${oneRun.inserted} inserted, each with probability 1/2); method: ${audit.canary.method}.`,
      '',
    )
    lines.push(
      `- **Empirical epsilon lower bound: ${oneRun.epsilonLowerBound.toFixed(3)}** at ${100 * oneRun.confidence}% confidence (best of ${oneRun.trials.length} guess counts, Bonferroni): ${oneRun.bestCorrect} of ${oneRun.bestGuesses} guesses right. Stated epsilon: ${card.privacy?.epsilon.toFixed(3)}.`,
      `- ${audit.reading ?? ''}`,
      '',
    )
    lines.push(
      '| attack | AUC [95% interval] | TPR @ 1% FPR [95%] | TPR @ 0.1% FPR [95%] |',
      '|---|---|---|---|',
      figuresRow('canaries, white-box (all steps)', audit.canary.attack),
      figuresRow('canaries, black-box (final model)', audit.canary.blackBoxAttack),
    )
    if (audit.naturalExamples)
      lines.push(figuresRow(audit.naturalExamples.attack, audit.naturalExamples))
    lines.push('', `- ${audit.canary.attack.note}`, '')
    return lines
  }
  lines.push('## Audit: membership inference', '')
  lines.push(
    'Members = training examples, non-members = held-out test examples (balanced). AUC 0.5 = chance.',
    '',
  )
  lines.push('| model | attack | AUC | TPR @ 1% FPR | TPR @ 0.1% FPR |', '|---|---|---|---|---|')
  for (const attack of audit.attacks ?? []) lines.push(attackRow(card.id, attack))
  for (const attack of audit.nonPrivateTwin?.attacks ?? [])
    lines.push(attackRow(`${audit.nonPrivateTwin?.id} (non-private twin)`, attack))
  lines.push('')
  return lines
}

interface RateRow {
  value: number
  interval: { low: number; high: number }
}

interface FiguresRow {
  auc: RateRow
  tprAt1PercentFpr: RateRow
  tprAt01PercentFpr: RateRow
  note: string
}

interface CanaryAuditRow {
  method: string
  oneRun: {
    canaries: number
    inserted: number
    confidence: number
    epsilonLowerBound: number
    bestGuesses: number
    bestCorrect: number
    trials: unknown[]
  }
  attack: FiguresRow
  blackBoxAttack: FiguresRow
}

function figuresRow(name: string, figures: FiguresRow): string {
  const rate = (r: RateRow, digits: number, scale: number, unit: string) =>
    `${(scale * r.value).toFixed(digits)}${unit} [${(scale * r.interval.low).toFixed(digits)}, ${(scale * r.interval.high).toFixed(digits)}]`
  return `| ${name} | ${rate(figures.auc, 3, 1, '')} | ${rate(figures.tprAt1PercentFpr, 2, 100, '%')} | ${rate(figures.tprAt01PercentFpr, 2, 100, '%')} |`
}

/** What the model and its guarantee do not cover. */
function limitations(card: TrainingCard): string[] {
  const lines: string[] = []
  lines.push('## Limitations', '')
  lines.push(
    card.input.preprocessing.kind === 'scattering'
      ? '- A linear model on fixed scattering features: below the accuracy of non-private convolutional networks.'
      : '- Small MLP with polynomial activations: below the accuracy of convolutional networks.',
  )
  lines.push(
    '- DP protects individual training examples, not population statistics; see docs/privacy.md.',
  )
  lines.push(
    card.privacy?.recordSet !== undefined
      ? '- The guarantee covers the releases listed under "Record set"; anything else released from the same records adds to it.'
      : '- Hyperparameter tuning is not counted in epsilon.',
    '',
  )
  return lines
}

function percent(value: number | null | undefined): string {
  return value === undefined || value === null || Number.isNaN(value)
    ? 'not measured'
    : `${(100 * value).toFixed(2)}%`
}

interface AttackRow {
  attack: string
  auc: number
  tprAt1PercentFpr: number
  tprAt01PercentFpr: number
}

function attackRow(model: string, attack: AttackRow): string {
  return `| ${model} | ${attack.attack} | ${attack.auc.toFixed(4)} | ${(100 * attack.tprAt1PercentFpr).toFixed(2)}% | ${(100 * attack.tprAt01PercentFpr).toFixed(2)}% |`
}

function formatCoefficients(value: unknown): string {
  if (!Array.isArray(value) || value.length === 0) return ''
  return (
    ' (' +
    (value as Array<{ a: number; b: number }>)
      .map((c, i) => `layer ${i + 1}: a = ${c.a.toFixed(4)}, b = ${c.b.toFixed(4)}`)
      .join('; ') +
    ')'
  )
}
