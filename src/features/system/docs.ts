import { Scalar } from '@scalar/hono-api-reference'
import type { AppEnv } from '../../env'

/**
 * Where the Scalar standalone bundle is served from: the Worker's own static assets
 * (`public/docs/scalar.js`, copied from `@scalar/api-reference` by `scripts/copy-scalar.mjs` on
 * `npm install`). The page loads nothing from third parties.
 */
export const SCALAR_BUNDLE_PATH = '/docs/scalar.js'

/**
 * The API reference page (`GET /docs`): Scalar rendering `/openapi.json`, whose `servers` entry is
 * the request's origin, so "try it" calls the running server. Offline: no CDN, no web fonts, no
 * telemetry, no proxy, no hosted AI agent or MCP generator.
 */
export const docsPage = Scalar<AppEnv>({
  pageTitle: 'Darkroom API reference',
  url: '/openapi.json',
  cdn: SCALAR_BUNDLE_PATH,
  withDefaultFonts: false,
  telemetry: false,
  agent: { disabled: true },
  mcp: { disabled: true },
  showDeveloperTools: 'never',
  hideClientButton: false,
  defaultOpenFirstTag: true,
})
