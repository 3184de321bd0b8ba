/**
 * The demo page at `/` (web/, built into web/dist by web/build.ts): same origin as the API, so it
 * needs no CORS setting and no second server. Static files only; the page encrypts in the browser.
 *
 * Its Content-Security-Policy differs from the API's helmet default in two places: script-src adds
 * 'wasm-unsafe-eval' (SEAL is WebAssembly; browsers refuse to compile it otherwise), and connect-src
 * allows any http(s) origin, because the page's service field may name another privinfer service
 * (which must then list this page's origin in CORS_ORIGINS).
 */
import { existsSync } from 'node:fs'
import express, { Router } from 'express'
import { PrivinferError } from '../../../core/errors.ts'

const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "connect-src 'self' http: https:",
  "img-src 'self' data:",
  "style-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

/** Serves `webDir` (index.html at /). Without a built page, `/` answers 404 saying how to build it. */
export function webRouter(webDir: string | undefined): Router {
  const router = Router()
  router.use((req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD') res.set('Content-Security-Policy', PAGE_CSP)
    next()
  })
  if (webDir !== undefined) {
    router.use(
      express.static(webDir, {
        index: 'index.html',
        // Not content-hashed: revalidate on every load (Last-Modified), so a rebuilt page is seen.
        cacheControl: true,
        maxAge: 0,
        setHeaders: (res) => res.set('Cache-Control', 'no-cache'),
      }),
    )
  }
  router.get('/', () => {
    const built = webDir !== undefined && existsSync(webDir)
    throw new PrivinferError(
      'NOT_FOUND',
      built
        ? 'the demo page is missing from its folder'
        : 'the demo page is not built: npm start builds it (or npm run build:web)',
    )
  })
  return router
}
