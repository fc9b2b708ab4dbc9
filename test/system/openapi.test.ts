import { describe, expect, it } from 'vitest'
import { createApp } from '../../src/app'
import { z } from '@hono/zod-openapi'
import { call, callJson } from '../helpers'

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head'] as const

/** The parts of an OpenAPI operation these tests read (records keep every key they hold). */
const Operation = z.object({
  operationId: z.string().optional(),
  summary: z.string().optional(),
  responses: z.record(z.string(), z.unknown()).optional(),
  security: z.array(z.record(z.string(), z.array(z.string()))).optional(),
  requestBody: z.object({ content: z.record(z.string(), z.unknown()) }).optional(),
})
const PathItem = z.object({
  get: Operation.optional(),
  put: Operation.optional(),
  post: Operation.optional(),
  delete: Operation.optional(),
  patch: Operation.optional(),
  options: Operation.optional(),
  head: Operation.optional(),
})
/** The document itself has no route schema: these are the parts the tests read. */
const OpenApiDoc = z.object({
  openapi: z.string(),
  info: z.object({ title: z.string(), version: z.string() }),
  components: z.object({ securitySchemes: z.record(z.string(), z.unknown()) }),
  paths: z.record(z.string(), PathItem),
})
type OpenApiDoc = z.infer<typeof OpenApiDoc>

async function openapi(): Promise<OpenApiDoc> {
  const { status, body } = await callJson('GET', '/openapi.json')
  expect(status).toBe(200)
  return OpenApiDoc.parse(body)
}

/** "METHOD /path/:param" for every operation of the document. */
function documentedRoutes(doc: OpenApiDoc): Set<string> {
  const out = new Set<string>()
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      if (item[method]) out.add(`${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`)
    }
  }
  return out
}

/** "METHOD /path" for every route Hono serves, without the `app.use` middleware entries. */
function servedRoutes(): Set<string> {
  const app = createApp()
  return new Set(
    app.routes
      .filter((r) => !(r.method === 'ALL' && ['*', '/*', '/api/*'].includes(r.path)))
      .map((r) => `${r.method} ${r.path}`),
  )
}

describe('GET /openapi.json', () => {
  it('is an OpenAPI 3.1 document with info and a bearer security scheme', async () => {
    const doc = await openapi()
    expect(doc.openapi).toMatch(/^3\.1\./)
    expect(doc.info.title).toBeTruthy()
    expect(doc.info.version).toBeTruthy()
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' })
  })

  it('documents every route the app serves, and nothing it does not serve', async () => {
    const served = servedRoutes()
    const documented = documentedRoutes(await openapi())
    // Sanity: the filter kept real routes (an empty set would make this test vacuous).
    expect(served.size).toBeGreaterThan(10)
    expect([...served].filter((r) => !documented.has(r)), 'served but undocumented').toEqual([])
    expect([...documented].filter((r) => !served.has(r)), 'documented but not served').toEqual([])
  })

  it('covers every account route of the API contract', async () => {
    const documented = documentedRoutes(await openapi())
    for (const route of [
      'POST /api/auth/register', 'POST /api/auth/login', 'POST /api/auth/admin/login', 'POST /api/auth/wechat/login',
      'POST /api/auth/refresh', 'POST /api/auth/logout', 'GET /api/auth/me',
      'GET /api/users/profile', 'PUT /api/users/profile', 'PUT /api/users/password', 'POST /api/users/avatar',
      'GET /api/users/stats', 'GET /health', 'GET /api/health', 'GET /openapi.json', 'GET /docs',
    ]) {
      expect(documented.has(route), route).toBe(true)
    }
  })

  it('names the operations of auth, users, images, system and /api/ws with unique operationIds', async () => {
    const doc = await openapi()
    const ids: string[] = []
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const method of METHODS) {
        const op = item[method]
        if (!op) continue
        if (op.operationId) ids.push(op.operationId)
        if (/^\/(health|api\/(health|ws|auth\/|users\/|images))/.test(path)) {
          expect(op.operationId, `${method.toUpperCase()} ${path}`).toMatch(/^[a-z][A-Za-z]+$/)
        }
      }
    }
    expect(ids.filter((id, i) => ids.indexOf(id) !== i), 'duplicated operationIds').toEqual([])
    expect(ids).toEqual(expect.arrayContaining(['register', 'login', 'getMe', 'getProfile', 'uploadImages', 'getHealth', 'getApiHealth', 'connectUserSocket']))
  })

  it('gives every operation a summary and responses, and marks authenticated ones with bearerAuth', async () => {
    const doc = await openapi()
    const authenticated = new Set(['GET /api/auth/me', 'POST /api/auth/logout', 'GET /api/users/profile', 'PUT /api/users/profile', 'PUT /api/users/password', 'POST /api/users/avatar', 'GET /api/users/stats'])
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const method of METHODS) {
        const op = item[method]
        if (!op) continue
        const name = `${method.toUpperCase()} ${path}`
        expect(op.summary, name).toBeTruthy()
        expect(Object.keys(op.responses ?? {}).length, name).toBeGreaterThan(0)
        if (authenticated.has(name)) {
          expect(op.security, name).toEqual([{ bearerAuth: [] }])
          expect(op.responses, name).toHaveProperty('401')
        }
      }
    }
  })

  it('documents the error statuses of the account routes', async () => {
    const doc = await openapi()
    const responses = (method: (typeof METHODS)[number], path: string) => Object.keys(doc.paths[path]?.[method]?.responses ?? {})
    expect(responses('post', '/api/auth/register')).toEqual(expect.arrayContaining(['201', '400', '409', '413', '415', '422', '429']))
    expect(responses('post', '/api/auth/login')).toEqual(expect.arrayContaining(['200', '400', '401', '423', '429']))
    expect(responses('post', '/api/auth/admin/login')).toEqual(expect.arrayContaining(['403']))
    expect(responses('post', '/api/auth/wechat/login')).toEqual(expect.arrayContaining(['401', '502']))
    expect(responses('post', '/api/users/avatar')).toEqual(expect.arrayContaining(['413', '415', '422']))
    // Register takes JSON and multipart.
    expect(Object.keys(doc.paths['/api/auth/register']?.post?.requestBody?.content ?? {}).sort()).toEqual(['application/json', 'multipart/form-data'])
  })
})

describe('GET /docs', () => {
  it('returns an HTML page that loads the document', async () => {
    const res = await call('GET', '/docs')
    expect(res.status).toBe(200)
    expect(res.headers.get('Content-Type')).toMatch(/^text\/html/)
    const html = await res.text()
    expect(html).toMatch(/^<!doctype html>/i)
    expect(html).toContain('/openapi.json')
  })
})
