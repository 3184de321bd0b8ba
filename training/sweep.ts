/**
 * Accuracy against epsilon (0.5, 1, 2, 3, 5, 8 and without noise) for the served recipe, on the
 * public Fashion-MNIST proxy only (8,000 fit / 2,000 held out: the MNIST sizes): no point touches a
 * served training set, so the sweep costs the served record sets nothing (docs/privacy.md, "Record
 * sets"). sigma is re-calibrated per epsilon, everything else is the served recipe. Writes
 * docs/accuracy-vs-epsilon.json and docs/accuracy-vs-epsilon.svg.
 *
 *   nice -n 10 node training/sweep.ts [--epsilons 0.5,1,2,3,5,8] [--repeats 1]
 */
import { writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { runTraining, type TrainingConfig } from './pipeline.ts'
import { renderLineChart, type Series } from './plot/svg-chart.ts'
import { RECIPES } from './recipes.ts'

const JSON_FILE = 'docs/accuracy-vs-epsilon.json'
const SVG_FILE = 'docs/accuracy-vs-epsilon.svg'
const RECIPE = 'fashion-mnist-proxy-dp'

interface SweepPoint {
  /** null: the same recipe with clipping and no noise (no DP). */
  epsilon: number | null
  epsilonRdp: number | null
  epsilonPrv: number | null
  noiseMultiplier: number | null
  heldOutAccuracy: number[]
  trainSeconds: number
}

const { values } = parseArgs({
  options: {
    epsilons: { type: 'string', default: '0.5,1,2,3,5,8' },
    repeats: { type: 'string', default: '1' },
  },
})
const epsilons = (values.epsilons as string).split(',').map(Number)
const repeats = Number(values.repeats)
const recipe = RECIPES[RECIPE]
const points: SweepPoint[] = []
for (const epsilon of [...epsilons, null]) {
  const config: TrainingConfig =
    epsilon === null
      ? { ...recipe, privacy: undefined }
      : { ...recipe, privacy: { epsilon, delta: 1e-5 } }
  const point: SweepPoint = {
    epsilon,
    epsilonRdp: null,
    epsilonPrv: null,
    noiseMultiplier: null,
    heldOutAccuracy: [],
    trainSeconds: 0,
  }
  for (let repeat = 0; repeat < repeats; repeat++) {
    const outcome = await runTraining(config, {
      skipAudit: true,
      clipWithoutNoise: epsilon === null,
    })
    point.epsilonRdp = outcome.privacy?.epsilonRdp ?? null
    point.epsilonPrv = outcome.privacy?.epsilonPrv ?? null
    point.noiseMultiplier = outcome.privacy?.noiseMultiplier ?? null
    point.heldOutAccuracy.push(outcome.onnx.accuracy)
    point.trainSeconds += outcome.trainSeconds
    process.stderr.write(
      `sweep epsilon ${epsilon ?? 'no noise'} run ${repeat + 1}/${repeats}: ${(100 * outcome.onnx.accuracy).toFixed(2)}% held out (${outcome.trainSeconds.toFixed(0)} s)\n`,
    )
  }
  points.push(point)
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
writeFileSync(
  JSON_FILE,
  JSON.stringify(
    {
      description:
        'Held-out accuracy of the served recipe (scatter28-v1 + linear, full-batch DP gradient descent, 100 steps, discrete Gaussian noise) against the target epsilon (RDP accountant, delta 1e-5), trained on the 8,000 fit records of the public Fashion-MNIST proxy and scored on its 2,000 held-out records. The proxy is disjoint from every served training set: the sweep releases nothing about them.',
      command: `nice -n 10 node training/sweep.ts --epsilons ${epsilons.join(',')} --repeats ${repeats}`,
      recipe: RECIPE,
      date: new Date().toISOString(),
      points,
    },
    null,
    2,
  ) + '\n',
)

// The no-noise point is drawn at x = 16 (labelled "no noise") on the log epsilon axis.
const NO_NOISE_X = 16
const dpPoints = points.filter((p) => p.epsilon !== null)
const noNoise = points.find((p) => p.epsilon === null)
const series: Series[] = [
  {
    name: 'served recipe on the proxy (DP, delta 1e-5)',
    points: dpPoints.map((p) => [p.epsilon as number, 100 * mean(p.heldOutAccuracy)]),
    markers: true,
  },
]
if (noNoise)
  series.push({
    name: 'same recipe without noise (no DP)',
    points: [
      [0.5, 100 * mean(noNoise.heldOutAccuracy)],
      [NO_NOISE_X, 100 * mean(noNoise.heldOutAccuracy)],
    ],
    dashed: true,
  })
const accuracies = points.map((p) => 100 * mean(p.heldOutAccuracy))
const yMin = Math.floor(Math.min(...accuracies) / 5) * 5
const yMax = Math.min(100, Math.ceil(Math.max(...accuracies) / 5) * 5 + 5)
writeFileSync(
  SVG_FILE,
  renderLineChart({
    title:
      'Held-out accuracy vs privacy budget (scatter28-v1 + linear, public Fashion-MNIST proxy)',
    x: {
      label: 'epsilon (RDP accountant, delta = 1e-5)',
      scale: 'log',
      min: 0.45,
      max: NO_NOISE_X * 1.1,
      ticks: [0.5, 1, 2, 3, 5, 8, NO_NOISE_X],
      format: (v) => (v === NO_NOISE_X ? 'no noise' : String(v)),
    },
    y: {
      label: 'held-out accuracy (%)',
      scale: 'linear',
      min: yMin,
      max: yMax,
      ticks: Array.from({ length: (yMax - yMin) / 5 + 1 }, (_, i) => yMin + 5 * i),
    },
    series,
  }),
)
process.stdout.write(JSON.stringify({ json: JSON_FILE, svg: SVG_FILE }) + '\n')
