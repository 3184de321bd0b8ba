/**
 * The privacy accountant of privinfer's DP-SGD training.
 *
 * - epsilonRdp: Renyi DP of the Poisson-subsampled Gaussian (Mironov, Talwar, Zhang 2019) with
 *   the conversion of Balle et al. 2020; fast, used for progress and for calibration.
 * - epsilonPrv: the PRV accountant (Gopi, Lee, Wutschitz 2021), tighter, with error bounds.
 * - calibrateNoiseMultiplier: the smallest sigma for a target (epsilon, delta).
 * - RdpAccountant: incremental accounting inside a training loop.
 * - exactGaussianEpsilon: the exact answer for q = 1 (Balle and Wang 2018), a check.
 */
export {
  epsilonRdp,
  computeRdp,
  rdpToEpsilon,
  rdpOfSampledGaussian,
  DEFAULT_RDP_ORDERS,
} from './rdp.ts'
export type { RdpArguments, RdpEpsilon, EpsilonRdpArguments } from './rdp.ts'
export { epsilonPrv } from './prv.ts'
export type { EpsilonPrvArguments, PrvEpsilon } from './prv.ts'
export { computeEpsilon, isAccountantName, ACCOUNTANTS } from './compute-epsilon.ts'
export type { AccountantName, ComputeEpsilonArguments, EpsilonResult } from './compute-epsilon.ts'
export { calibrateNoiseMultiplier } from './calibrate.ts'
export type { CalibrateArguments, Calibration } from './calibrate.ts'
export { RdpAccountant } from './rdp-accountant.ts'
export type { Mechanism } from './rdp-accountant.ts'
export { exactGaussianEpsilon, gaussianDelta } from './gaussian.ts'
