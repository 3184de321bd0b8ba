/**
 * docs/membership-inference-roc.svg: ROC curves (log-log, as recommended by Carlini et al. 2022) of
 * the membership-inference attacks stored in the served models' cards, DP models beside their
 * non-private twins.
 *
 *   node training/audit/plot-roc.ts [--models mnist-dp,mnist-nonprivate,...] [--models-dir models]
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { renderLineChart, type Series } from '../plot/svg-chart.ts'

const { values } = parseArgs({
  options: {
    models: {
      type: 'string',
      default: 'mnist-dp,mnist-nonprivate,fashion-mnist-dp,fashion-mnist-nonprivate',
    },
    'models-dir': { type: 'string', default: 'models' },
    out: { type: 'string', default: 'docs/membership-inference-roc.svg' },
  },
})
const COLORS: Record<string, string> = {
  'mnist-dp': '#1f77b4',
  'mnist-nonprivate': '#d62728',
  'fashion-mnist-dp': '#2ca02c',
  'fashion-mnist-nonprivate': '#ff7f0e',
}
const FLOOR = 1e-3
const series: Series[] = []
for (const id of (values.models as string).split(',')) {
  const path = join(values['models-dir'] as string, id, 'card.json')
  if (!existsSync(path)) continue
  const card = JSON.parse(readFileSync(path, 'utf8')) as {
    privacy?: { epsilon: number } | null
    audit?: {
      attacks?: Array<{ attack: string; auc: number; roc: { fpr: number[]; tpr: number[] } }>
    }
  }
  for (const attack of card.audit?.attacks ?? []) {
    const lira = attack.attack.startsWith('LiRA')
    const label = `${id}${card.privacy ? ` (eps ${card.privacy.epsilon.toFixed(2)})` : ''}, ${lira ? 'LiRA' : 'loss'}: AUC ${attack.auc.toFixed(3)}`
    const points = attack.roc.fpr
      .map((fpr, i): [number, number] => [Math.max(FLOOR, fpr), Math.max(FLOOR, attack.roc.tpr[i])])
      .filter(([fpr]) => fpr >= FLOOR)
    series.push({ name: label, points, color: COLORS[id], dashed: !lira })
  }
}
series.push({
  name: 'chance (TPR = FPR)',
  points: [
    [FLOOR, FLOOR],
    [1, 1],
  ],
  color: '#999999',
  dashed: true,
})
const ticks = [0.001, 0.01, 0.1, 1]
writeFileSync(
  values.out as string,
  renderLineChart({
    title: 'Membership inference on the served models (members = train, non-members = test)',
    x: {
      label: 'false-positive rate (log)',
      scale: 'log',
      min: FLOOR,
      max: 1,
      ticks,
      format: (v) => String(v),
    },
    y: {
      label: 'true-positive rate (log)',
      scale: 'log',
      min: FLOOR,
      max: 1,
      ticks,
      format: (v) => String(v),
    },
    series,
    width: 760,
    height: 560,
    legend: 'bottom-right',
  }),
)
process.stdout.write(JSON.stringify({ svg: values.out, curves: series.length }) + '\n')
