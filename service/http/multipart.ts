/**
 * multipart/form-data parsing with per-route limits (multer, memoryStorage). Anything that is not
 * multipart is UNSUPPORTED_MEDIA_TYPE; anything busboy cannot parse is MULTIPART_MALFORMED; multer's
 * own limit errors are mapped in problem.ts (LIMIT_FILE_SIZE -> BODY_TOO_LARGE, ...).
 */
import type { Request, RequestHandler } from 'express'
import multer from 'multer'
import { PrivinferError } from '../../core/errors.ts'

export interface MultipartSpec {
  /** File parts accepted, each at most once unless `maxCounts` allows more of it. */
  files: readonly string[]
  /** Parts of the same name allowed (e.g. the input ciphertexts of a batch query). */
  maxCounts?: Readonly<Record<string, number>>
  /** Text fields accepted. */
  fields: readonly string[]
  /** Largest file part, bytes. */
  maxFileBytes: number
}

/** Longest text field value, bytes (ids only). */
const MAX_FIELD_BYTES = 256

export function parseMultipart(spec: MultipartSpec): RequestHandler {
  const countOf = (name: string) => spec.maxCounts?.[name] ?? 1
  const fileParts = spec.files.reduce((sum, name) => sum + countOf(name), 0)
  const upload = multer({
    storage: multer.memoryStorage(),
    limits: {
      fileSize: spec.maxFileBytes,
      files: fileParts,
      fields: spec.fields.length,
      parts: fileParts + spec.fields.length,
      fieldSize: MAX_FIELD_BYTES,
      fieldNameSize: 64,
      headerPairs: 32,
    },
  }).fields(spec.files.map((name) => ({ name, maxCount: countOf(name) })))
  return (req, res, next) => {
    if (!req.is('multipart/form-data')) {
      next(
        new PrivinferError('UNSUPPORTED_MEDIA_TYPE', 'expected a multipart/form-data body', {
          contentType: req.get('content-type') ?? null,
        }),
      )
      return
    }
    upload(req, res, (error?: unknown) => {
      if (error === undefined || error === null) next()
      else if (error instanceof multer.MulterError) next(error)
      else {
        // busboy: 'Unexpected end of form', 'Malformed part header', 'Multipart: Boundary not found', ...
        next(
          new PrivinferError(
            'MULTIPART_MALFORMED',
            `malformed multipart body: ${(error as Error).message}`,
          ),
        )
      }
    })
  }
}

/** A text field, or FIELD_MISSING. */
export function requireField(req: Request, name: string): string {
  const value = (req.body as Record<string, unknown> | undefined)?.[name]
  if (typeof value !== 'string' || value.length === 0) {
    throw new PrivinferError('FIELD_MISSING', `the multipart field '${name}' is required`, {
      field: name,
    })
  }
  return value
}

/** Every part of this name, in the order sent (empty when there is none). */
export function filesOf(req: Request, name: string): Uint8Array[] {
  const files = req.files as Record<string, Express.Multer.File[]> | undefined
  return (files?.[name] ?? []).map((file) => ownedBytes(file.buffer))
}

/** A text field, or undefined. */
export function optionalField(req: Request, name: string): string | undefined {
  const value = (req.body as Record<string, unknown> | undefined)?.[name]
  return typeof value === 'string' && value.length > 0 ? value : undefined
}

/** A file part's bytes, or undefined. */
export function optionalFile(req: Request, name: string): Uint8Array | undefined {
  const files = req.files as Record<string, Express.Multer.File[]> | undefined
  const file = files?.[name]?.[0]
  return file ? ownedBytes(file.buffer) : undefined
}

/** A file part's bytes, or FIELD_MISSING (also when it was sent as a text field). */
export function requireFile(req: Request, name: string): Uint8Array {
  const bytes = optionalFile(req, name)
  if (bytes === undefined) {
    throw new PrivinferError(
      'FIELD_MISSING',
      `the multipart file '${name}' is required (as a file part)`,
      {
        field: name,
      },
    )
  }
  return bytes
}

/**
 * The bytes in an ArrayBuffer of their own, so it can be transferred to a worker (a Buffer may be a
 * view into Node's shared pool; transferring that would detach unrelated memory).
 */
export function ownedBytes(buffer: Uint8Array): Uint8Array {
  if (
    buffer.byteOffset === 0 &&
    buffer.byteLength === buffer.buffer.byteLength &&
    buffer.buffer instanceof ArrayBuffer
  ) {
    return new Uint8Array(buffer.buffer)
  }
  return new Uint8Array(buffer)
}
