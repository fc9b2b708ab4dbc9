import { OpenAPIHono } from '@hono/zod-openapi'
import { cors } from 'hono/cors'
import { HTTPException } from 'hono/http-exception'
import { requestId } from 'hono/request-id'
import { secureHeaders } from 'hono/secure-headers'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { createDb } from './db/client'
import type { AppEnv } from './env'
import { authRoutes } from './features/auth/routes'
import { callbackRoutes } from './features/callbacks/routes'
import { creditRoutes } from './features/credits/routes'
import { imageRoutes } from './features/images/routes'
import { livePageRoutes } from './features/live/page'
import { livePhotoRoutes } from './features/live/photos-routes'
import { liveSessionRoutes } from './features/live/sessions-routes'
import { liveSocketRoutes } from './features/live/socket-route'
import { liveUploadRoutes, PART_SIZE } from './features/live/uploads-routes'
import { modelRoutes } from './features/models/routes'
import { sceneRoutes } from './features/scenes/routes'
import { taskRoutes } from './features/tasks/routes'
import { userSocketRoutes } from './realtime/user-socket-route'
import { docsPage } from './features/system/docs'
import { apiSystemRoutes, systemRoutes } from './features/system/routes'
import { AVATAR_MAX_BYTES } from './features/users/avatar'
import { userRoutes } from './features/users/routes'
import { clientIp } from './lib/auth'
import { isLocalRequest, maxImageBytes, withLocalScope } from './lib/config'
import { limitBody } from './lib/body-limit'
import { networkOf } from './lib/network'
import { ApiError, rateLimited } from './lib/errors'

const CODE_BY_STATUS: Record<number, string> = {
  400: 'VALIDATION_ERROR',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
}

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
  // Development secret fallbacks only ever serve requests to localhost (see requireSecret).
  app.use('*', (c, next) => withLocalScope(isLocalRequest(c.req.url, c.req.header('CF-Connecting-IP') ?? null), next))
  app.use('*', secureHeaders({ crossOriginResourcePolicy: 'cross-origin' }))
  app.use('*', async (c, next) => {
    const allowed = (c.env.CORS_ORIGINS ?? '').split(',').map((o) => o.trim()).filter(Boolean)
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

  app.route('/', systemRoutes)
  app.route('/api', apiSystemRoutes)
  app.route('/api/auth', authRoutes)
  app.route('/api/users', userRoutes)
  app.route('/api/images', imageRoutes)
  app.route('/api/credits', creditRoutes)
  app.route('/api/models', modelRoutes)
  app.route('/api/scenes', sceneRoutes)
  app.route('/api/tasks', taskRoutes)
  app.route('/api', callbackRoutes)
  app.route('/api', userSocketRoutes)
  app.route('/api/live', liveSessionRoutes)
  app.route('/api/live', livePhotoRoutes)
  app.route('/api/live', liveSocketRoutes)
  app.route('/api/live', liveUploadRoutes)
  app.route('/', livePageRoutes)

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
  })
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
      for (const [name, value] of Object.entries(error.headers ?? {})) c.header(name, value)
      const body: Record<string, unknown> = { success: false, error: error.message, code: error.code }
      if (error.details !== undefined) body.details = error.details
      return c.json(body, error.status)
    }
    if (error instanceof HTTPException && error.status < 500) {
      const status = error.status as ContentfulStatusCode
      const code = CODE_BY_STATUS[status] ?? 'BAD_REQUEST'
      return c.json({ success: false, error: error.message || code, code }, status)
    }
    // Unknown throw: log with the request id (never the body or secrets), answer generically.
    console.error(
      JSON.stringify({
        level: 'error',
        requestId: c.var.requestId,
        method: c.req.method,
        path: c.req.path,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        stack: error instanceof Error ? error.stack : undefined,
      }),
    )
    return c.json(
      { success: false, error: 'Internal server error', code: 'SERVER_ERROR', details: { requestId: c.var.requestId } },
      500,
    )
  })

  return app
}
