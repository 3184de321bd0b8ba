/**
 * The validated load of an untrusted SEAL object, in the order every wire loader follows: size
 * bounds and header before SEAL sees the bytes (a compressed body is inflated with a bound first),
 * the caller's check of the uncompressed metadata, then SEAL's own load into a fresh object, which
 * is deleted again when the load or a later check fails. Each failure is the caller's typed error.
 */
import type { CkksContext } from '../ckks/context.ts'
import { translateSealExceptions, type SealExceptionInfo } from '../seal/exceptions.ts'
import { SealBytesProblem, unwrapSealBytes } from './seal-header.ts'
import { compressedBound } from './sizes.ts'

export interface UntrustedLoad<T> {
  /** The largest acceptable object in compression-none form, bytes. */
  maxUncompressedBytes: number
  /** Checks the uncompressed bytes' metadata; skipped when no bounded inflater is available. */
  checkMetadata(uncompressed: Uint8Array): void
  /** The typed error for bytes refused before SEAL saw them. */
  refusedBeforeSeal(problem: SealBytesProblem): Error
  /** A fresh, empty SEAL object to load into. */
  create(): T
  /** The typed error for bytes SEAL's own load refuses. */
  refusedBySeal(info: SealExceptionInfo): Error
  /** Checks of the loaded object; it is deleted when one throws. */
  checkLoaded?(object: T): void
}

interface LoadableSealObject {
  loadFromArray(context: CkksContext['context'], bytes: Uint8Array): void
  delete(): void
}

/** Loads `bytes` as the caller describes; the caller owns (and must delete) the result. */
export function loadUntrusted<T extends LoadableSealObject>(
  ctx: CkksContext,
  bytes: Uint8Array,
  load: UntrustedLoad<T>,
): T {
  let uncompressed: Uint8Array
  try {
    const unwrapped = unwrapSealBytes(
      bytes,
      load.maxUncompressedBytes,
      compressedBound(load.maxUncompressedBytes),
    )
    uncompressed = unwrapped.bytes
    if (unwrapped.isUncompressed) load.checkMetadata(uncompressed)
  } catch (error) {
    if (error instanceof SealBytesProblem) throw load.refusedBeforeSeal(error)
    throw error
  }
  const object = load.create()
  try {
    translateSealExceptions(
      ctx.seal,
      () => object.loadFromArray(ctx.context, uncompressed),
      load.refusedBySeal,
    )
    load.checkLoaded?.(object)
    return object
  } catch (error) {
    object.delete()
    throw error
  }
}
