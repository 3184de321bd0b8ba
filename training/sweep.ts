/**
 * Test accuracy against epsilon (0.5, 1, 2, 3, 5, 8 and non-private) for both datasets, with the
 * served models' recipes (training/recipes.ts; sigma re-calibrated per epsilon, everything else
 * fixed; Fashion-MNIST with --fashion-epochs to fit the time budget). Writes docs/accuracy-vs-epsilon.json
 * and docs/accuracy-vs-epsilon.svg.
 *
 *   nice -n 10 node training/sweep.ts [--datasets mnist,fashion-mnist] [--fashion-epochs 8]
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { runTraining } from './pipeline.ts'
import { renderLineChart, type Series } from './plot/svg-chart.ts'
import { RECIPES } from './recipes.ts'

const EPSILONS = [0.5, 1, 2, 3, 5, 8]
const JSON_FILE = 'docs/accuracy-vs-epsilon.json'
const SVG_FILE = 'docs/accuracy-vs-epsilon.svg'

interface SweepPoint {
  epsilon: number | null
  epsilonRdp: number | null
  noiseMultiplier: number | null
  testAccuracy: number
  epochs: number
  trainSeconds: number
}

const { values } = parseArgs({
  options: {
    datasets: { type: 'string', default: 'mnist,fashion-mnist' },
    'fashion-epochs': { type: 'string' },
  },
})
const previous = existsSync(JSON_FILE)
  ? (JSON.parse(readFileSync(JSON_FILE, 'utf8')) as {
      results?: Record<string, SweepPoint[]>
      commands?: Record<string, string>
    })
  : {}
const results: Record<string, SweepPoint[]> = previous.results ?? {}
const commands: Record<string, string> = previous.commands ?? {}
for (const dataset of (values.datasets as string).split(',')) {
  const points: SweepPoint[] = []
  const privateRecipe = RECIPES[`${dataset}-dp`]
  const twinRecipe = RECIPES[`${dataset}-nonprivate`]
  const epochs =
    dataset === 'fashion-mnist' && values['fashion-epochs']
      ? Number(values['fashion-epochs'])
      : undefined
  for (const epsilon of [...EPSILONS, null]) {
    const recipe =
      epsilon === null ? twinRecipe : { ...privateRecipe, privacy: { epsilon, delta: 1e-5 } }
    const config = { ...recipe, ...(epochs ? { epochs } : {}) }
    const outcome = await runTraining(config, { skipAudit: true })
    const point: SweepPoint = {
      epsilon,
      epsilonRdp: outcome.privacy?.epsilonRdp ?? null,
      noiseMultiplier: outcome.privacy?.noiseMultiplier ?? null,
      testAccuracy: outcome.onnx.accuracy,
      epochs: config.epochs,
      trainSeconds: outcome.trainSeconds,
    }
    points.push(point)
    process.stderr.write(
      `sweep ${dataset} epsilon ${epsilon ?? 'non-private'}: ${(100 * point.testAccuracy).toFixed(2)}% (${point.trainSeconds.toFixed(0)} s)\n`,
    )
  }
  results[dataset] = points
  commands[dataset] =
    `nice -n 10 node training/sweep.ts --datasets ${dataset}` +
    (epochs ? ` --fashion-epochs ${epochs}` : '')
}
writeFileSync(
  JSON_FILE,
  JSON.stringify(
    {
      description:
        'Test accuracy (onnxruntime, full test split) against the target epsilon (RDP accountant, delta 1e-5); one run per point (fresh DP noise), served recipes with sigma re-calibrated per epsilon.',
      commands,
      note: 'Fashion-MNIST points use 10 epochs (the served recipe uses 25) to fit the time budget; sigma is calibrated for the actual number of steps, so every point meets its epsilon.',
      date: new Date().toISOString(),
      results,
    },
    null,
    2,
  ) + '\n',
)

// Non-private points drawn at x = 16 (labelled "non-private") on the log epsilon axis.
const NON_PRIVATE_X = 16
const series: Series[] = []
for (const [dataset, points] of Object.entries(results)) {
  series.push({
    name: `${dataset} (DP-SGD, delta 1e-5)`,
    points: points
      .filter((p) => p.epsilon !== null)
      .map((p) => [p.epsilon as number, 100 * p.testAccuracy]),
    markers: true,
  })
  const nonPrivate = points.find((p) => p.epsilon === null)
  if (nonPrivate)
    series.push({
      name: `${dataset} non-private twin`,
      points: [
        [0.5, 100 * nonPrivate.testAccuracy],
        [NON_PRIVATE_X, 100 * nonPrivate.testAccuracy],
      ],
      dashed: true,
    })
}
const allAccuracies = Object.values(results)
  .flat()
  .map((p) => 100 * p.testAccuracy)
const yMin = Math.floor(Math.min(...allAccuracies) / 5) * 5
writeFileSync(
  SVG_FILE,
  renderLineChart({
    title: 'Test accuracy vs privacy budget (MLP with polynomial activation)',
    x: {
      label: 'epsilon (RDP accountant, delta = 1e-5)',
      scale: 'log',
      min: 0.45,
      max: NON_PRIVATE_X * 1.1,
      ticks: [0.5, 1, 2, 3, 5, 8, NON_PRIVATE_X],
      format: (v) => (v === NON_PRIVATE_X ? 'non-private' : String(v)),
    },
    y: {
      label: 'test accuracy (%)',
      scale: 'linear',
      min: yMin,
      max: 100,
      ticks: Array.from({ length: (100 - yMin) / 5 + 1 }, (_, i) => yMin + 5 * i),
    },
    series,
  }),
)
process.stdout.write(JSON.stringify({ json: JSON_FILE, svg: SVG_FILE }) + '\n')
