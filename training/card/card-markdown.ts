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
    ...limitations(),
  ].join('\n')
}

/** Id, file, architecture, input and output, and the privacy guarantee in one line. */
function modelDetails(card: TrainingCard): string[] {
  const training = (card.training ?? {}) as Record<string, unknown>
  const privacy = card.privacy
  const lines: string[] = []
  lines.push('## Model details', '')
  lines.push(
    `- Id: \`${card.id}\`; file: \`${card.onnxFile}\` (ONNX opset 13: Gemm + Mul/Add polynomial activations).`,
  )
  lines.push(
    `- Architecture: ${String(training.architecture)}, activation ${String(training.activation)}${formatCoefficients(training.activationCoefficients)}.`,
  )
  lines.push(
    `- Input: ${card.input.rawSize} raw values in [0, 1]; client-side public preprocessing \`${JSON.stringify(card.input.preprocessing)}\` -> ${card.input.size} values. The normalization (x - ${(training.inputNormalization as { mean: number })?.mean}) / ${(training.inputNormalization as { std: number })?.std} is folded into the first layer.`,
  )
  lines.push(`- Output: ${card.output.size} logits; labels ${card.labels.join(', ')}.`)
  lines.push(
    `- Privacy: ${card.nonPrivate ? '**NON-PRIVATE** (no differential privacy; a baseline for comparison)' : `(${privacy?.epsilon.toFixed(3)}, ${privacy?.delta})-DP`}.`,
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
    `- Optimizer ${String(training.optimizer)}, learning rate ${String(training.learningRate)} (${String(training.schedule)}), ${String(training.epochs)} epochs, ${card.nonPrivate ? `batch size ${String(training.batchSize)}` : `expected batch size ${String(training.expectedBatchSize)} (Poisson)`}, ${String(training.steps)} steps, ${Number(training.trainSeconds).toFixed(0)} s on a shared 2-core machine.`,
  )
  lines.push(
    card.nonPrivate
      ? '- Hyperparameters chosen on a validation split carved from the training set (never the test set).'
      : `- ${String(training.tuningNotCountedInEpsilon)} Runs: \`training.tuning\` in card.json.`,
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
      `| epsilon (PRV accountant, tighter estimate) | ${Number.isNaN(privacy.epsilonPrv) || privacy.epsilonPrv === null ? 'not available' : privacy.epsilonPrv.toFixed(3)} |`,
    )
    lines.push(`| delta | ${privacy.delta} |`)
    lines.push(`| noise multiplier sigma | ${privacy.noiseMultiplier.toFixed(4)} |`)
    lines.push(`| clipping norm C | ${privacy.clippingNorm} |`)
    lines.push(`| sampling rate q (Poisson) | ${privacy.sampleRate.toFixed(5)} |`)
    lines.push(`| steps / epochs | ${privacy.steps} / ${privacy.epochs} |`, '')
    for (const note of privacy.notes ?? []) lines.push(`- ${note}`)
    lines.push('- What it means and does not: see docs/privacy.md.', '')
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

/** Membership-inference attacks on this model and on its non-private twin. */
function membershipAudit(card: TrainingCard): string[] {
  const audit = (card.audit ?? {}) as {
    attacks?: AttackRow[]
    nonPrivateTwin?: { id?: string; attacks?: AttackRow[] }
  }
  const lines: string[] = []
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

/** What the model and its guarantee do not cover. */
function limitations(): string[] {
  const lines: string[] = []
  lines.push('## Limitations', '')
  lines.push(
    '- Small MLP with polynomial activations: below the accuracy of convolutional networks.',
  )
  lines.push(
    '- DP protects individual training examples, not population statistics; see docs/privacy.md.',
  )
  lines.push('- Hyperparameter tuning is not counted in epsilon.', '')
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
