import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { SCALAR_BUNDLE_PATH } from '../../src/features/system/docs'
import { call } from '../helpers'

/** Every URL the page would make the browser fetch from a tag (scripts, styles, images, frames). */
function fetchedUrls(html: string): string[] {
  return [...html.matchAll(/<(?:script|link|img|iframe|source)\b[^>]*?\b(?:src|href)\s*=\s*["']([^"']+)["']/gi)].map((m) => m[1]!)
}

describe('GET /docs', () => {
  it('is the Scalar reference for /openapi.json, loading scripts only from this server', async () => {
    const res = await call('GET', '/docs')
    expect(res.status).toBe(200)
    expect(res.headers.get('Content-Type')).toMatch(/^text\/html/)
    const html = await res.text()
    expect(html).toMatch(/^<!doctype html>/i)
    expect(html).toContain('Scalar.createApiReference')
    expect(html).toContain('"url": "/openapi.json"')
    const urls = fetchedUrls(html)
    expect(urls).toContain(SCALAR_BUNDLE_PATH)
    // Same origin: a root-relative path, never a scheme or a protocol-relative `//host`.
    for (const url of urls) expect(url, url).toMatch(/^\/(?!\/)/)
    // No inline reference to a CDN either (the config could name one for lazy loading).
    expect(html).not.toMatch(/jsdelivr|unpkg|cdn\.|fonts\.scalar\.com/i)
    // Offline: no web fonts, no telemetry, no hosted AI agent.
    expect(html).toContain('"withDefaultFonts": false')
    expect(html).toContain('"telemetry": false')
  })

  it('has its bundle among the static assets (copied from @scalar/api-reference on npm install)', async () => {
    // ASSETS serves public/ as deployed; a missing file would mean a blank /docs page.
    const res = await env.ASSETS.fetch(`http://localhost${SCALAR_BUNDLE_PATH}`)
    expect(res.status, 'public/docs/scalar.js missing: run `npm install` (postinstall copies it)').toBe(200)
    expect(res.headers.get('Content-Type')).toMatch(/javascript/)
    const script = await res.text()
    expect(script.length).toBeGreaterThan(100_000)
    expect(script).toContain('createApiReference')
  })
})
