/**
 * `privinfer dp epsilon|sigma`: the privacy accountant from the command line.
 *
 *   privinfer dp epsilon --sample-rate 0.0042666 --noise-multiplier 1.1 --steps 14063 --delta 1e-5 --json
 *   privinfer dp sigma --sample-rate 0.032 --steps 1000 --delta 1e-5 --epsilon 3 --json
 *
 * With --json, exactly one JSON object goes to stdout.
 */
import { PrivinferError } from '../../core/errors.ts'
import {
  calibrateNoiseMultiplier,
  computeEpsilon,
  isAccountantName,
  type AccountantName,
} from '../../training/accountant/index.ts'
import { emit, numberOption, parseCommandArgs } from '../args.ts'
import type { Command } from './index.ts'

const usage = `usage:
  privinfer dp epsilon --sample-rate Q --noise-multiplier S --steps T --delta D [--accountant rdp|prv] [--json]
  privinfer dp sigma   --sample-rate Q --steps T --delta D --epsilon E [--accountant rdp|prv] [--json]

epsilon  epsilon spent by T steps of DP-SGD (Poisson sampling rate Q, noise multiplier S) at delta D
sigma    the smallest noise multiplier reaching (E, D) for Q and T (relative precision 1e-4)

--accountant rdp (default: Renyi DP, Mironov et al. 2019, milliseconds) or prv (Gopi et al. 2021:
tighter, about a second per epsilon; reports the upper bound including its numerical error, for the
worse of the add and remove directions)`

const OPTIONS = {
  'sample-rate': { type: 'string' },
  'noise-multiplier': { type: 'string' },
  steps: { type: 'string' },
  delta: { type: 'string' },
  epsilon: { type: 'string' },
  accountant: { type: 'string' },
} as const

function accountantOption(values: Record<string, unknown>): AccountantName {
  const raw = values.accountant ?? 'rdp'
  if (!isAccountantName(raw))
    throw new PrivinferError('BAD_REQUEST', `--accountant must be rdp or prv, got ${String(raw)}`)
  return raw
}

function format(value: number): string {
  return Number.isFinite(value) ? value.toPrecision(6).replace(/\.?0+$/, '') : String(value)
}

async function run(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS)
  const json = values.json === true
  const [subcommand] = positionals
  const accountant = accountantOption(values)
  const sampleRate = numberOption(values, 'sample-rate')
  const steps = numberOption(values, 'steps')
  const delta = numberOption(values, 'delta')
  if (subcommand === 'epsilon') {
    const noiseMultiplier = numberOption(values, 'noise-multiplier')
    const result = computeEpsilon({ sampleRate, noiseMultiplier, steps, delta, accountant })
    emit(json, { ...result, delta, sampleRate, noiseMultiplier, steps }, () => {
      const detail =
        result.bestOrder !== undefined
          ? `best RDP order ${result.bestOrder}`
          : `estimate ${format(result.epsilonEstimate ?? Number.NaN)}, lower bound ${format(result.epsilonLower ?? Number.NaN)}, worse of add/remove: ${result.worseDirection}`
      return `epsilon ${format(result.epsilon)} at delta ${delta} (${accountant}: ${detail}) for q=${sampleRate}, sigma=${noiseMultiplier}, ${steps} steps`
    })
    return
  }
  if (subcommand === 'sigma') {
    const epsilon = numberOption(values, 'epsilon')
    const result = calibrateNoiseMultiplier({ sampleRate, steps, delta, epsilon, accountant })
    emit(
      json,
      { ...result, targetEpsilon: epsilon, delta, sampleRate, steps },
      () =>
        `noise multiplier ${format(result.noiseMultiplier)} gives epsilon ${format(result.epsilon)} <= ${epsilon} at delta ${delta} (${accountant}) for q=${sampleRate}, ${steps} steps`,
    )
    return
  }
  throw new PrivinferError(
    'BAD_REQUEST',
    `dp: expected 'epsilon' or 'sigma', got ${subcommand ?? 'nothing'}\n${usage}`,
  )
}

export const command: Command = {
  name: 'dp',
  summary: 'privacy accountant: dp epsilon | dp sigma',
  usage,
  run,
}
