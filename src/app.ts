import { adminRoutes, websocketStatsRoutes } from './features/admin/handlers'
import { editorRoutes } from './features/editor/handlers'
import { adminStoreRoutes, paymentRoutes, storeRoutes } from './features/payments/handlers'
import { OpenAPIHono } from '@hono/zod-openapi'
import { cors } from 'hono/cors'
import { HTTPException } from 'hono/http-exception'
import { requestId } from 'hono/request-id'
import { secureHeaders } from 'hono/secure-headers'
import { createDb } from './db/client'
import type { AppEnv } from './env'
import { auditRoutes } from './features/audit/handlers'
import { authRoutes } from './features/auth/handlers'
import { callbackRoutes } from './features/callbacks/handlers'
import { creditRoutes } from './features/credits/handlers'
import { imageRoutes } from './features/images/handlers'
import { livePageRoutes, liveSessionRoutes } from './features/live/sessions/handlers'
import { livePhotoRoutes } from './features/live/photos/handlers'
import { liveSocketRoutes } from './features/live/room/handlers'
import { liveUploadRoutes } from './features/live/uploads/handlers'
import { PART_SIZE } from './features/live/uploads/schemas'
import { modelRoutes } from './features/models/handlers'
import { sceneRoutes } from './features/scenes/handlers'
import { adminSettingsRoutes, announcementRoutes } from './features/settings/handlers'
import { maintenanceGuard } from './features/settings/maintenance'
import { taskRoutes } from './features/tasks/handlers'
import { hubRoutes } from './features/hub/handlers'
import { docsPage } from './features/system/docs'
import { systemRoutes } from './features/system/handlers'
import { AVATAR_MAX_BYTES } from './features/auth/avatar'
import { userRoutes } from './features/users/handlers'
import { galleryRoutes } from './features/works/gallery/handlers'
import { workRoutes } from './features/works/items/handlers'
import { adminWorkRoutes } from './features/works/review/handlers'
import { socialRoutes } from './features/works/social/handlers'
import { clientIp } from './lib/auth'
import { config, maxImageBytes } from './lib/config'
import { isLocalRequest, withLocalScope } from './lib/locality'
import { limitBody } from './lib/body-limit'
import { SECURITY_SCHEMES } from './lib/openapi'
import { errorText, loggablePath, log, redact, withRequestId } from './lib/logger'
import { networkOf } from './lib/network'
import { ApiError, codesForStatus, codeToStatus, rateLimited } from './lib/errors'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * Body caps per route, in bytes. JSON is small; an account or avatar form carries one ≤ 2 MB
 * avatar; an image or live photo upload carries at most `MAX_IMAGE_BYTES` in total (one big photo,
 * or a batch of smaller ones) plus form overhead; a resumable part is one 5 MiB part.
 */
const JSON_BODY_LIMIT = 1024 * 1024
const FORM_OVERHEAD = 64 * 1024
/** 16 MB: inline base64 results of about 12 MB in all. */
export const CALLBACK_BODY_LIMIT = 16 * 1024 * 1024
const BODY_CAPS: Array<[RegExp, (env: Env) => number]> = [
  [/^\/api\/(auth\/register|users\/avatar)$/, () => AVATAR_MAX_BYTES + FORM_OVERHEAD],
  [/^\/api\/(images\/upload|live\/sessions\/[^/]+\/photos)$/, (env) => maxImageBytes(env) + 1024 * 1024],
  // Provider callbacks may carry result images inline as base64 (documented on the callback routes);
  // larger results come as URLs. Bounded tightly: anyone can POST here before the signature is checked.
  [/^\/api\/callbacks?\//, () => CALLBACK_BODY_LIMIT],
  [/^\/api\/live\/sessions\/[^/]+\/uploads\/[^/]+\/parts\/[^/]+$/, () => PART_SIZE + FORM_OVERHEAD],
]

/** The largest body `path` accepts. */
export function bodyCapFor(env: Env, path: string): number {
  const match = BODY_CAPS.find(([pattern]) => pattern.test(path))
  return match ? match[1](env) : JSON_BODY_LIMIT
}

export const OPENAPI_INFO = {
  openapi: '3.1.0',
  info: {
    title: 'Darkroom API',
    version: '0.1.0',
    description:
      'Edge-native backend for AI photo generation and live event photo sharing. Every answer is ' +
      '`{success: true, data}` or `{success: false, error, code, details?}`; every response carries ' +
      '`X-Request-Id`. Authenticate with `Authorization: Bearer <accessToken>` from `/api/auth/login`.',
  },
}

/** Builds the Worker's HTTP app: middleware, error envelope, feature routers, OpenAPI and docs. */
export function createApp() {
  const app = new OpenAPIHono<AppEnv>()

  app.use('*', requestId({ headerName: 'X-Request-Id' }))
  app.use('*', (c, next) => withRequestId(c.var.requestId, next))
  // Development secret fallbacks only ever serve requests to localhost (see requireSecret).
  app.use('*', (c, next) => withLocalScope(isLocalRequest(c.req.url, c.req.header('CF-Connecting-IP') ?? null), next))
  app.use('*', secureHeaders({ crossOriginResourcePolicy: 'cross-origin' }))
  app.use('*', async (c, next) => {
    // A malformed variable must not take /health down with it: without a parsed config no
    // origin is allowed, and the routes that need the config answer 500 naming the variable.
    let allowed: string[] = []
    try {
      allowed = config(c.env).CORS_ORIGINS
    } catch {
      // misconfigured: no cross-origin access
    }
    return cors({
      origin: (origin) => (allowed.includes('*') ? '*' : allowed.includes(origin) ? origin : null),
      allowHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Request-Id'],
      exposeHeaders: ['X-Request-Id', 'Retry-After', 'ETag', 'Content-Range'],
      maxAge: 600,
    })(c, next)
  })
  app.use('/api/*', async (c, next) => {
    // Coarse per-IP flood shield on writes; exact product limits are enforced per route in D1.
    // Reads stay unshielded: a venue's guests share one NAT address and each loads many photos.
    const limiter = c.env.API_RATE_LIMITER
    if (limiter && !SAFE_METHODS.has(c.req.method)) {
      const { success } = await limiter.limit({ key: `ip:${networkOf(clientIp(c.req.raw.headers))}` })
      if (!success) throw rateLimited(60)
    }
    await next()
  })
  // After the shield, before any route (and its auth) runs; it reads nothing itself.
  app.use('/api/*', limitBody((c) => bodyCapFor(c.env, c.req.path)))
  app.use('*', async (c, next) => {
    c.set('db', createDb(c.env.DB))
    await next()
  })
  app.use('/api/*', async (c, next) => {
    await next()
    // JSON answers are per user (balances, private works, isLiked…): no shared cache may keep them
    // unless the route chose a policy itself, and optional-auth answers differ by token.
    if (!c.res.headers.get('Content-Type')?.startsWith('application/json')) return
    if (!c.res.headers.has('Cache-Control')) c.res.headers.set('Cache-Control', 'private, no-store')
    const vary = c.res.headers.get('Vary')
    if (!vary?.split(',').some((v) => v.trim().toLowerCase() === 'authorization' || v.trim() === '*')) {
      c.res.headers.set('Vary', vary ? `${vary}, Authorization` : 'Authorization')
    }
  })
  // Maintenance: non-admin writes answer 503 (sign-in, callbacks and payment notifications stay open).
  app.use('/api/*', maintenanceGuard)

  app.route('/', systemRoutes)
  app.route('/api/auth', authRoutes)
  app.route('/api/users', userRoutes)
  app.route('/api/images', imageRoutes)
  app.route('/api/credits', creditRoutes)
  app.route('/api/credits', storeRoutes)
  app.route('/api/payments', paymentRoutes)
  app.route('/api/models', modelRoutes)
  app.route('/api/scenes', sceneRoutes)
  app.route('/api/tasks', taskRoutes)
  // Static segments before `{id}`: the gallery before the works, the users routes before profiles.
  app.route('/api/works', galleryRoutes)
  app.route('/api/works', workRoutes)
  app.route('/api/admin', adminWorkRoutes)
  app.route('/api/admin', adminSettingsRoutes)
  app.route('/api/admin', auditRoutes)
  app.route('/api/admin', adminStoreRoutes)
  app.route('/api/admin', adminRoutes)
  app.route('/api', websocketStatsRoutes)
  app.route('/api', announcementRoutes)
  app.route('/api', socialRoutes)
  app.route('/api', editorRoutes)
  app.route('/api', callbackRoutes)
  app.route('/api', hubRoutes)
  app.route('/api/live', liveSessionRoutes)
  app.route('/api/live', livePhotoRoutes)
  app.route('/api/live', liveSocketRoutes)
  app.route('/api/live', liveUploadRoutes)
  app.route('/', livePageRoutes)

  for (const [name, scheme] of Object.entries(SECURITY_SCHEMES)) {
    app.openAPIRegistry.registerComponent('securitySchemes', name, scheme)
  }
  app.doc31('/openapi.json', (c) => ({
    ...OPENAPI_INFO,
    servers: [{ url: new URL(c.req.url).origin, description: 'The server this document was read from' }],
  }))
  app.get('/docs', docsPage)
  for (const [path, operationId, summary, type, schemaType] of [
    ['/openapi.json', 'getOpenApiDocument', 'This OpenAPI 3.1 document', 'application/json', 'object'],
    ['/docs', 'getApiReference', 'The API reference (Scalar, HTML)', 'text/html', 'string'],
  ] as const) {
    app.openAPIRegistry.registerPath({
      method: 'get',
      path,
      operationId,
      tags: ['System'],
      summary,
      security: [],
      responses: { 200: { description: summary, content: { [type]: { schema: { type: schemaType } } } } },
    })
  }

  app.notFound((c) =>
    c.json({ success: false, error: `No route for ${c.req.method} ${c.req.path}`, code: 'NOT_FOUND' }, 404),
  )
  app.onError((error, c) => {
    if (error instanceof ApiError) {
      // Maintenance answers are the intended state, not failures worth an error line each.
      if (error.status >= 500 && error.code !== 'MAINTENANCE') log.error('request failed', { code: error.code, path: loggablePath(c.req.url), error: error.message })
      for (const [name, value] of Object.entries(error.headers ?? {})) c.header(name, value)
      const body: Record<string, unknown> = { success: false, error: error.message, code: error.code }
      if (error.details !== undefined) body.details = error.details
      return c.json(body, error.status)
    }
    if (error instanceof HTTPException && error.status < 500) {
      // Hono's own 4xx (malformed JSON, …): the first code of that status, else a 400.
      const code = codesForStatus(error.status)[0] ?? 'VALIDATION_ERROR'
      return c.json({ success: false, error: error.message || code, code }, codeToStatus[code])
    }
    // Unknown throw: log with the request id (never the body or secrets), answer generically.
    log.error('unhandled error', {
      method: c.req.method,
      path: loggablePath(c.req.url),
      error: errorText(error),
      stack: error instanceof Error ? redact(error.stack ?? '') : undefined,
    })
    return c.json(
      { success: false, error: 'Internal server error', code: 'SERVER_ERROR', details: { requestId: c.var.requestId } },
      500,
    )
  })

  return app
}
