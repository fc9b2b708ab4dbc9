import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test'
import { exports } from 'cloudflare:workers'
import type { z } from '@hono/zod-openapi'
import { codeToStatus, type ErrorCode } from '../src/lib/errors'
import { ErrorSchema } from '../src/lib/openapi'
import { expect } from 'vitest'
import { createApp } from '../src/app'
import { loginRoute, registerRoute } from '../src/features/auth/routes'

let ipCounter = 0

/** A fresh client IP, so per-IP rate limits of one test never leak into another. */
export function freshIp(): string {
  ipCounter += 1
  return `203.0.113.${ipCounter % 250}.${Math.floor(ipCounter / 250)}`.split('.').slice(0, 4).join('.')
}

export interface CallOptions {
  token?: string
  ip?: string
  headers?: Record<string, string>
}

/** Calls the Worker's own fetch handler, as a client on the network would. */
export function call(method: string, path: string, body?: unknown, opts: CallOptions = {}): Promise<Response> {
  const headers = new Headers(opts.headers)
  headers.set('CF-Connecting-IP', opts.ip ?? freshIp())
  if (opts.token) headers.set('Authorization', `Bearer ${opts.token}`)
  let payload: BodyInit | undefined
  if (body instanceof FormData || typeof body === 'string' || body instanceof Uint8Array) {
    payload = body as BodyInit
  } else if (body !== undefined) {
    headers.set('Content-Type', 'application/json')
    payload = JSON.stringify(body)
  }
  return exports.default.fetch(new Request(`http://localhost${path}`, { method, headers, body: payload }))
}


export async function callJson(method: string, path: string, body?: unknown, opts?: CallOptions) {
  const res = await call(method, path, body, opts)
  return { res, status: res.status, body: (await res.json()) as unknown }
}

let userCounter = 0

/** A unique, valid username (3-20 letters, digits, underscores) starting with `prefix`. */
export function uniqueName(prefix = 'user'): string {
  userCounter += 1
  return `${prefix}_${userCounter}_${Math.random().toString(36).slice(2, 6)}`.slice(0, 20)
}

export interface TestUser {
  id: string
  username: string
  email: string
  password: string
  accessToken: string
  refreshToken: string
}

/** Registers and signs in a new user with a unique name. */
export async function newUser(prefix = 'user'): Promise<TestUser> {
  const username = uniqueName(prefix)
  const email = `${username}@example.com`
  const password = 'secret-pass-1'
  const { user } = dataOf(await callJson('POST', '/api/auth/register', { username, email, password }), registerRoute, 201)
  const tokens = dataOf(await callJson('POST', '/api/auth/login', { login: username, password }), loginRoute, 200)
  return { id: user.id, username, email, password, accessToken: tokens.accessToken, refreshToken: tokens.refreshToken }
}

export interface RegisteredUser {
  id: string
  username: string
  email: string
  password: string
}

/**
 * Registers a user without signing in, so no login attempt is spent (login rate limits and
 * lockout tests count every attempt).
 */
export async function registerOnly(prefix = 'user', password = 'secret-pass-1'): Promise<RegisteredUser> {
  const username = uniqueName(prefix)
  const email = `${username}@example.com`
  const { user } = dataOf(await callJson('POST', '/api/auth/register', { username, email, password }), registerRoute, 201)
  return { id: user.id, username, email, password }
}

/** POST /api/auth/login with `{login, password, ...extra}`. */
export function login(loginName: string, password: string, extra: Record<string, unknown> = {}, opts?: CallOptions) {
  return callJson('POST', '/api/auth/login', { login: loginName, password, ...extra }, opts)
}

/**
 * Asserts the documented error envelope (parsed with the API's own ErrorSchema, so the code is
 * one of the closed set) with `status` and `code`; answers the parsed body.
 */
export function expectError(result: { status: number; body: unknown; res?: Response }, status: number, code: ErrorCode) {
  const dump = JSON.stringify(result.body)
  expect(result.status, dump).toBe(status)
  const parsed = ErrorSchema.safeParse(result.body)
  expect(parsed.success, `${dump}\n${parsed.error?.message ?? ''}`).toBe(true)
  const body = parsed.data!
  expect(body.code, dump).toBe(code)
  expect(codeToStatus[body.code], dump).toBe(status)
  expect(body.error.length, dump).toBeGreaterThan(0)
  if (result.res) expect(result.res.headers.get('Content-Type') ?? '').toMatch(/application\/json/)
  return body
}

/** The zod schema a route documents for a JSON response. */
type JsonSchemaOf<Res> = Res extends { content: { 'application/json': { schema: infer Z extends z.ZodType } } } ? Z : never
/** What `data` holds in a route's success envelope for `status`. */
export type DataOf<R extends { responses: object }, S extends keyof R['responses']> =
  z.output<JsonSchemaOf<R['responses'][S]>> extends { data: infer D } ? D : never

/**
 * Asserts `status` and parses the body with the schema the route itself documents for that
 * status (the createRoute object from the feature's routes.ts), answering the typed `data`. A
 * field the OpenAPI document does not describe is dropped, so tests can only rely on documented ones.
 */
export function dataOf<R extends { responses: object }, S extends keyof R['responses'] & number>(
  result: { status: number; body: unknown },
  route: R,
  status: S,
): DataOf<R, S> {
  const dump = JSON.stringify(result.body)
  expect(result.status, dump).toBe(status)
  const response = (route.responses as Record<number, { content?: Record<string, { schema?: z.ZodType }> }>)[status]
  const schema = response?.content?.['application/json']?.schema
  if (!schema) throw new Error(`The route documents no JSON schema for ${status}`)
  const parsed = schema.safeParse(result.body)
  if (!parsed.success) throw new Error(`Response does not match the documented schema: ${parsed.error.message}\n${dump}`)
  return (parsed.data as { data: DataOf<R, S> }).data
}

/** One row from D1, for assertions on what the API stored. */
export function dbFirst<T = Record<string, unknown>>(query: string, ...params: unknown[]): Promise<T | null> {
  return env.DB.prepare(query).bind(...params).first<T>()
}

export async function dbRun(query: string, ...params: unknown[]): Promise<void> {
  await env.DB.prepare(query).bind(...params).run()
}

/** Number of rows in `table` (whitelisted names only: this is test-only SQL). */
export async function countRows(table: 'users' | 'sessions' | 'refresh_tokens'): Promise<number> {
  const row = await env.DB.prepare(`SELECT count(*) AS n FROM ${table}`).first<{ n: number }>()
  return row?.n ?? 0
}

/**
 * The test D1 binding with a hook that runs before any statement whose SQL matches `pattern`
 * executes. Lets a test simulate another request committing between a handler's "is it
 * free?" check and its write, a race that concurrent requests in tests do not hit reliably.
 */
export function d1WithHook(pattern: RegExp, hook: () => Promise<void>): D1Database {
  const real = env.DB
  // Proxied statement -> [real statement, its SQL], so batches can be inspected and unwrapped.
  const statements = new WeakMap<object, [D1PreparedStatement, string]>()
  let fired = false
  const fire = async (query: string) => {
    if (!fired && pattern.test(query)) {
      fired = true
      await hook()
    }
  }
  const wrap = (stmt: D1PreparedStatement, query: string): D1PreparedStatement => {
    const proxy = new Proxy(stmt, {
      get(target, prop) {
        if (prop === 'bind') return (...args: unknown[]) => wrap(target.bind(...args), query)
        if (prop === 'all' || prop === 'raw' || prop === 'first' || prop === 'run') {
          return async (...args: unknown[]) => {
            await fire(query)
            return (target[prop] as (...a: unknown[]) => unknown).apply(target, args)
          }
        }
        const value = Reflect.get(target, prop, target)
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
    statements.set(proxy, [stmt, query])
    return proxy
  }
  return new Proxy(real, {
    get(target, prop) {
      if (prop === 'prepare') return (query: string) => wrap(target.prepare(query), query)
      if (prop === 'batch') {
        return async (list: D1PreparedStatement[]) => {
          for (const stmt of list) {
            const query = statements.get(stmt)?.[1]
            if (query) await fire(query)
          }
          return target.batch(list.map((stmt) => statements.get(stmt)?.[0] ?? stmt))
        }
      }
      const value = Reflect.get(target, prop, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

/** Calls a fresh app (src/app.ts createApp) with some bindings replaced, as the Worker would. */
export async function callApp(overrides: Partial<Env>, method: string, path: string, body?: unknown, opts: CallOptions = {}) {
  const headers = new Headers(opts.headers)
  headers.set('CF-Connecting-IP', opts.ip ?? freshIp())
  if (opts.token) headers.set('Authorization', `Bearer ${opts.token}`)
  let payload: BodyInit | undefined
  if (body instanceof FormData || typeof body === 'string' || body instanceof Uint8Array) payload = body as BodyInit
  else if (body !== undefined) {
    headers.set('Content-Type', 'application/json')
    payload = JSON.stringify(body)
  }
  const ctx = createExecutionContext()
  const res = await createApp().fetch(new Request(`http://localhost${path}`, { method, headers, body: payload }), { ...env, ...overrides }, ctx)
  await waitOnExecutionContext(ctx)
  return { res, status: res.status, body: (await res.json()) as unknown }
}
