/**
 * `privinfer train`: DP-SGD (or --non-private) training of an MLP with HE-friendly activations,
 * ONNX export checked by onnxruntime-node, HE compilation and evaluation when the compiler is
 * available, membership-inference audit, and models/<id>/{model.onnx, card.json, card.md, test-indices.json}.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ModelCard } from '../../core/card.ts'
import { PrivinferError } from '../../core/errors.ts'
import { writeModelDirectory } from '../../service/models/index.ts'
import { buildTrainingCard } from '../../training/card/training-card.ts'
import type { AttackResult } from '../../training/audit/loss-threshold.ts'
import { shadowModelAudit } from '../../training/audit/shadow-audit.ts'
import { writeModelFolder } from '../../training/model-folder.ts'
import {
  isPrivateRecordSet,
  runTraining,
  type TrainingConfig,
  type TrainingOutcome,
} from '../../training/pipeline.ts'
import { auditServedRecipe, type ServedAudit } from '../../training/audit/served-audit.ts'
import type { PrivacyPlan } from '../../training/dp-sgd/privacy-budget.ts'
import { RECIPES } from '../../training/recipes.ts'
import { evaluateHe, type HeEvaluation } from './he-evaluation.ts'
import { emit, numberOption, parseCommandArgs } from '../args.ts'
import { createProgress, type Progress } from '../progress.ts'
import type { Command } from './index.ts'

const USAGE = `usage: privinfer train --recipe mnist-dp|fashion-mnist-dp|fashion-mnist-proxy-dp [--no-audit] [--json]
       privinfer train --dataset mnist|fashion-mnist|fashion-mnist-proxy (--epsilon E --delta D | --non-private) [options] [--json]

  --recipe NAME         a served model's recipe (training/recipes.ts): scatter28-v1 features, linear,
                        full-batch DP gradient descent; writes models/NAME with the canary audit of the
                        recipe on the public proxy (--no-audit skips it)

  --id ID               model folder name (default <dataset>-dp or <dataset>-nonprivate)
  --hidden 64           hidden layer widths, comma-separated
  --activation poly     poly (a*x^2 + b*x, a and b trained) | square (x^2)
  --pool 2              public client-side average pooling of the 28x28 image (1 = none)
  --epochs 15 --batch-size 512 --lr 0.005 --optimizer adam|sgd --schedule constant|cosine
  --clip 1              per-example L2 clipping norm C
  --weight-gain 1 --poly-a 0.1 --seed 1
  --ema 0.99            average the parameters over the steps (post-processing, free in epsilon)
  --twin ID             non-private twin whose card gives accuracy.nonPrivateTwin and audit
  --validation 0.1      tuning mode: train on the rest, report validation accuracy, write nothing
  --no-he               skip the HE compilation and evaluation
  --tuning FILE         JSON record of the validation runs that chose the hyperparameters (training/tune.ts), copied into the card
  --shadows 8           shadow models for the LiRA membership-inference audit (0 = loss threshold only)
  --he-limit N          run only the first N test rows under encryption (default: the full test split)
  --models-dir models`

export const command: Command = {
  name: 'train',
  summary: 'train an MLP with DP-SGD, export ONNX, compile, write the card',
  usage: USAGE,
  async run(argv) {
    const parsed = parseCommandArgs(argv, TRAIN_OPTIONS)
    // parseCommandArgs widens the option types: strings for valued options, booleans for flags.
    const values = parsed.values as Record<string, string | boolean | undefined>
    const text = (name: string): string | undefined => textOption(values, name)
    const json = Boolean(values.json)
    const recipeName = text('recipe')
    if (recipeName !== undefined && RECIPES[recipeName] === undefined) {
      throw new PrivinferError(
        'BAD_REQUEST',
        `unknown --recipe '${recipeName}' (known: ${Object.keys(RECIPES).join(', ')})`,
      )
    }
    const config = recipeName !== undefined ? RECIPES[recipeName] : trainingConfigOf(values)
    const nonPrivate = config.privacy === undefined
    const dataset = config.dataset
    const id = text('id') ?? recipeName ?? `${dataset}-${nonPrivate ? 'nonprivate' : 'dp'}`
    const modelsDir = text('models-dir') ?? 'models'

    const outcome = await trainWithProgress(config, id)
    const summary = {
      id,
      evaluation: outcome.evaluationName,
      accuracy: outcome.onnx.accuracy,
      trainerAccuracy: outcome.trainerAccuracy,
      onnxMaxAbsLogitError: outcome.onnx.maxAbsLogitError,
      privacy: outcome.privacy,
      steps: outcome.result.steps,
      trainSeconds: outcome.trainSeconds,
      clippedFraction: outcome.result.clippedFraction,
    }
    if (outcome.evaluationName === 'validation') {
      emit(
        json,
        summary,
        () =>
          `${id}: validation accuracy ${(100 * outcome.onnx.accuracy).toFixed(2)}% (nothing written)`,
      )
      return
    }

    // Shadow-model attacks score the training records themselves: only on public record sets.
    // A recipe run is audited by canaries instead (default 0 shadows).
    const shadows = isPrivateRecordSet(dataset)
      ? 0
      : numberOption(values, 'shadows', recipeName === undefined ? 8 : 0)
    const extraAttacks: AttackResult[] = []
    if (shadows > 0) {
      const shadowProgress = createProgress('LiRA shadow models', shadows)
      extraAttacks.push(shadowModelAudit(outcome, shadows, (done) => shadowProgress.tick(done)))
      shadowProgress.finish()
    }
    const heLimit = text('he-limit') === undefined ? undefined : numberOption(values, 'he-limit')
    const he = values['no-he']
      ? null
      : await evaluateHe(outcome, { limit: heLimit, createProgress })
    const servedAudit =
      recipeName !== undefined && outcome.privacy !== null && !values['no-audit']
        ? auditWithProgress(config, outcome.privacy)
        : undefined
    const merged = await cardOfRun(values, {
      id,
      outcome,
      he,
      extraAttacks,
      servedAudit,
      recipeName,
      modelsDir,
    })
    const folder = writeModelFolder(modelsDir, {
      onnxBytes: outcome.onnxBytes,
      card: merged,
      testIndices: outcome.splits.testIndices,
      testIndicesSource: outcome.splits.source,
    })
    emit(
      json,
      {
        ...summary,
        folder,
        heAccuracy: he?.accuracy ?? null,
        audit: [outcome.audit, ...extraAttacks]
          .filter((attack) => attack !== null)
          .map(({ roc: _roc, ...rest }) => rest),
      },
      () => trainedModelReport(folder, outcome, he, [outcome.audit, ...extraAttacks]),
    )
  },
}

/**
 * The trained model's card (HE accuracy merged in when it was evaluated), after writing the HE
 * model folder (card + compile.json) when there is one.
 */
async function cardOfRun(
  values: OptionValues,
  run: {
    id: string
    outcome: Awaited<ReturnType<typeof trainWithProgress>>
    he: Awaited<ReturnType<typeof evaluateHe>> | null
    extraAttacks: AttackResult[]
    servedAudit: ReturnType<typeof auditWithProgress> | undefined
    recipeName: string | undefined
    modelsDir: string
  },
): Promise<ReturnType<typeof buildTrainingCard>> {
  const { id, outcome, he, extraAttacks, servedAudit, recipeName, modelsDir } = run
  const text = (name: string): string | undefined => textOption(values, name)
  // Read the twin's card last: it may be finishing in parallel.
  const twinId = text('twin')
  const twinCard = twinId ? readCard(join(modelsDir, twinId, 'card.json')) : undefined
  const card = buildTrainingCard({
    id,
    outcome,
    heAccuracy: he?.accuracy ?? Number.NaN,
    nonPrivateTwin: twinCard?.accuracy
      ? { id: twinId as string, accuracy: twinCard.accuracy.plaintext }
      : undefined,
    extraAttacks,
    tuning:
      text('tuning') === undefined
        ? undefined
        : {
            file: text('tuning'),
            ...(JSON.parse(readFileSync(text('tuning') as string, 'utf8')) as object),
          },
    twinAudit: (twinCard?.audit as { attacks?: never[] } | undefined)?.attacks,
    servedAudit,
    command:
      recipeName !== undefined
        ? `nice -n 10 npx privinfer train --recipe ${recipeName}`
        : undefined,
  })
  const merged = he ? he.mergeInto(card) : card
  if (he && merged.accuracy)
    merged.accuracy = {
      ...merged.accuracy,
      heTestExamples: he.evaluated,
      hePlaintextAccuracy: he.plaintextAccuracy,
    } as typeof merged.accuracy
  if (he)
    await writeModelDirectory(join(modelsDir, id), {
      onnxBytes: outcome.onnxBytes,
      card: merged as ModelCard,
      compiled: he.compiled,
    })
  return merged
}

type OptionValues = Record<string, string | boolean | undefined>

const TRAIN_OPTIONS = {
  recipe: { type: 'string' },
  'no-audit': { type: 'boolean' },
  dataset: { type: 'string' },
  epsilon: { type: 'string' },
  delta: { type: 'string' },
  id: { type: 'string' },
  hidden: { type: 'string' },
  activation: { type: 'string' },
  pool: { type: 'string' },
  epochs: { type: 'string' },
  'batch-size': { type: 'string' },
  lr: { type: 'string' },
  optimizer: { type: 'string' },
  schedule: { type: 'string' },
  clip: { type: 'string' },
  'weight-gain': { type: 'string' },
  'poly-a': { type: 'string' },
  ema: { type: 'string' },
  'non-private': { type: 'boolean' },
  seed: { type: 'string' },
  twin: { type: 'string' },
  validation: { type: 'string' },
  'no-he': { type: 'boolean' },
  'he-limit': { type: 'string' },
  shadows: { type: 'string' },
  tuning: { type: 'string' },
  'models-dir': { type: 'string' },
} as const

function textOption(values: OptionValues, name: string): string | undefined {
  return typeof values[name] === 'string' ? (values[name] as string) : undefined
}

/** The training configuration the options describe, checked. */
function trainingConfigOf(values: OptionValues): TrainingConfig {
  const text = (name: string): string | undefined => textOption(values, name)
  const dataset = text('dataset') ?? 'mnist'
  const nonPrivate = Boolean(values['non-private'])
  if (!nonPrivate && values.epsilon === undefined) {
    throw new PrivinferError('FIELD_MISSING', '--epsilon is required (or --non-private)')
  }
  const activation = text('activation') ?? 'poly'
  if (activation !== 'poly' && activation !== 'square')
    throw new PrivinferError('BAD_REQUEST', `--activation must be poly or square`)
  const optimizer = text('optimizer') ?? 'adam'
  if (optimizer !== 'adam' && optimizer !== 'sgd')
    throw new PrivinferError('BAD_REQUEST', `--optimizer must be adam or sgd`)
  const schedule = text('schedule') ?? 'constant'
  if (schedule !== 'constant' && schedule !== 'cosine')
    throw new PrivinferError('BAD_REQUEST', `--schedule must be constant or cosine`)
  const hidden = (text('hidden') ?? '64').split(',').map((width) => Number(width))
  if (hidden.some((width) => !Number.isInteger(width) || width < 1))
    throw new PrivinferError('BAD_REQUEST', `--hidden must be positive integers`)
  return {
    dataset,
    privacy: nonPrivate
      ? undefined
      : { epsilon: numberOption(values, 'epsilon'), delta: numberOption(values, 'delta', 1e-5) },
    hidden,
    activation,
    pool: numberOption(values, 'pool', 2),
    epochs: numberOption(values, 'epochs', 15),
    batchSize: numberOption(values, 'batch-size', 512),
    learningRate: numberOption(values, 'lr', 0.005),
    optimizer,
    schedule,
    clippingNorm: numberOption(values, 'clip', 1),
    seed: numberOption(values, 'seed', 1),
    weightGain: numberOption(values, 'weight-gain', 1),
    polyA: numberOption(values, 'poly-a', 0.1),
    emaDecay: values.ema === undefined ? undefined : numberOption(values, 'ema'),
    validationFraction:
      values.validation === undefined ? undefined : numberOption(values, 'validation'),
  }
}

/** The served recipe's canary audit on the proxy, with progress bars. */
function auditWithProgress(config: TrainingConfig, privacy: PrivacyPlan): ServedAudit {
  let features: Progress | undefined
  const steps = createProgress('audit (canaries, proxy)', config.epochs)
  const audit = auditServedRecipe(config, privacy, {
    onFeatures: (done, total) => {
      features ??= createProgress('proxy features', total)
      if (done === total) features.finish()
      else features.tick(done)
    },
    onStep: (step) => steps.tick(step),
  })
  steps.finish({ epsilonLowerBound: Number(audit.canary.oneRun.epsilonLowerBound.toFixed(3)) })
  return audit
}

/** Runs the training with a progress bar (epoch, batch loss and accuracy, epsilon spent). */
function trainWithProgress(config: TrainingConfig, id: string): ReturnType<typeof runTraining> {
  let progress: Progress | undefined
  let features: Progress | undefined
  return runTraining(config, {
    onFeatures(part, done, total) {
      features ??= createProgress(`features (${part})`, total)
      if (done === total) {
        features.finish()
        features = undefined
      } else features.tick(done)
    },
    onStep(report, epsilonSpent) {
      progress ??= createProgress(`train ${id}`, report.steps)
      // The batch loss and accuracy are exact statistics of the training records: shown only for
      // public record sets (a private run shows the steps and the epsilon spent).
      const fields: Record<string, string | number> = isPrivateRecordSet(config.dataset)
        ? { epoch: Number(report.epoch.toFixed(2)) }
        : {
            epoch: Number(report.epoch.toFixed(2)),
            loss: report.batchLoss,
            acc: report.batchAccuracy,
          }
      if (config.privacy !== undefined) fields.eps = epsilonSpent
      if (report.step === report.steps) progress.finish(fields)
      else progress.tick(report.step, fields)
    },
  })
}

/** The human-readable report of a trained model: accuracy, privacy, audit, time. */
function trainedModelReport(
  folder: string,
  outcome: TrainingOutcome,
  he: HeEvaluation | null,
  attacks: Array<AttackResult | null>,
): string {
  const privacy = outcome.privacy
  return [
    `${folder}: test accuracy ${(100 * outcome.onnx.accuracy).toFixed(2)}% (onnxruntime, ${outcome.evaluation.count} examples)` +
      (he ? `, HE ${(100 * he.accuracy).toFixed(2)}%` : ', HE not measured'),
    privacy
      ? `epsilon ${privacy.epsilonRdp.toFixed(3)} (RDP), ${Number.isNaN(privacy.epsilonPrv) ? 'PRV n/a' : privacy.epsilonPrv.toFixed(3) + ' (PRV)'}, delta ${privacy.delta}, sigma ${privacy.noiseMultiplier.toFixed(4)}`
      : 'NON-PRIVATE',
    ...attacks
      .filter((attack) => attack !== null)
      .map(
        (attack) =>
          `${attack.attack}: AUC ${attack.auc.toFixed(4)}, TPR@1%FPR ${(100 * attack.tprAt1PercentFpr).toFixed(2)}%, TPR@0.1%FPR ${(100 * attack.tprAt01PercentFpr).toFixed(2)}%`,
      ),
    `trained in ${outcome.trainSeconds.toFixed(0)} s`,
  ].join('\n')
}

function readCard(path: string): { accuracy?: { plaintext: number }; audit?: unknown } | undefined {
  if (!existsSync(path)) {
    process.stderr.write(
      `privinfer train: twin card ${path} not found; accuracy.nonPrivateTwin left out\n`,
    )
    return undefined
  }
  return JSON.parse(readFileSync(path, 'utf8')) as {
    accuracy?: { plaintext: number }
    audit?: unknown
  }
}
