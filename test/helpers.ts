import { exports } from 'cloudflare:workers'

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

// biome-ignore lint: tests read arbitrary JSON.
export type Json = any

export async function callJson(method: string, path: string, body?: unknown, opts?: CallOptions) {
  const res = await call(method, path, body, opts)
  return { res, status: res.status, body: (await res.json()) as Json }
}

let userCounter = 0

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
  userCounter += 1
  const username = `${prefix}_${userCounter}_${Math.random().toString(36).slice(2, 6)}`.slice(0, 20)
  const email = `${username}@example.com`
  const password = 'secret-pass-1'
  const reg = await callJson('POST', '/api/auth/register', { username, email, password })
  if (reg.status !== 201) throw new Error(`register failed: ${JSON.stringify(reg.body)}`)
  const login = await callJson('POST', '/api/auth/login', { login: username, password })
  if (login.status !== 200) throw new Error(`login failed: ${JSON.stringify(login.body)}`)
  return {
    id: reg.body.data.user.id,
    username,
    email,
    password,
    accessToken: login.body.data.accessToken,
    refreshToken: login.body.data.refreshToken,
  }
}
