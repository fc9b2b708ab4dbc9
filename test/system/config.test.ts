import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test'
import { describe, expect, it, vi } from 'vitest'
import { createApp } from '../../src/app'
import { config } from '../../src/lib/config'
import { requireSecret, withLocalScope } from '../../src/lib/locality'
import { z } from 'zod'
import { loginRoute, refreshTokensRoute } from '../../src/features/auth/routes'
import { callApp, countRows, dataOf, dbRun, expectError, freshIp, newUser } from '../helpers'

// The app is built per test and given a modified env, as production would run it with a
// missing or weak secret. ENVIRONMENT=test (the normal test env) allows a dev fallback;
// production must refuse clearly instead of signing tokens with a guessable key.
function fetchWith(overrides: Partial<Env>, method: string, path: string, body?: unknown, token?: string, ip?: string) {
  return callApp(overrides, method, path, body, { ...(token ? { token } : {}), ...(ip ? { ip } : {}) })
}

let loopbackCounter = 0
/** A distinct loopback address per call (rate limits are per network). */
const loopbackIp = () => `127.9.${Math.floor(++loopbackCounter / 250)}.${loopbackCounter % 250}`

const PRODUCTION_WITHOUT_SECRET = { ENVIRONMENT: 'production', JWT_SECRET: '' }

describe('JWT_SECRET configuration', () => {
  it('refuses login and admin login with 500 CONFIGURATION_ERROR naming the secret, and starts no session', async () => {
    const user = await newUser('cfg')
    // An admin, so admin login gets as far as signing (a non-admin stops at 403 first).
    await dbRun("UPDATE users SET role = 'admin' WHERE id = ?", user.id)
    const sessions = await countRows('sessions')
    for (const path of ['/api/auth/login', '/api/auth/admin/login']) {
      const res = await fetchWith(PRODUCTION_WITHOUT_SECRET, 'POST', path, { login: user.username, password: user.password })
      const { error } = expectError(res, 500, 'CONFIGURATION_ERROR')
      expect(error).toMatch(/JWT_SECRET/)
      expect(error).toMatch(/not set/)
    }
    expect(await countRows('sessions')).toBe(sessions)
  })

  it('refuses protected routes rather than trusting tokens', async () => {
    const user = await newUser('cfg')
    for (const path of ['/api/auth/me', '/api/users/profile']) {
      expectError(await fetchWith(PRODUCTION_WITHOUT_SECRET, 'GET', path, undefined, user.accessToken), 500, 'CONFIGURATION_ERROR')
    }
  })

  it('refuses refresh without burning the refresh token', async () => {
    const user = await newUser('cfg')
    const res = await fetchWith(PRODUCTION_WITHOUT_SECRET, 'POST', '/api/auth/refresh', { refreshToken: user.refreshToken })
    expectError(res, 500, 'CONFIGURATION_ERROR')
    // Once configured, the same token still rotates: the failed attempt wrote nothing.
    const again = await fetchWith({}, 'POST', '/api/auth/refresh', { refreshToken: user.refreshToken })
    dataOf(again, refreshTokensRoute, 200)
  })

  it('refuses WeChat login too, with the same clear error', async () => {
    vi.spyOn(globalThis, 'fetch').mockResolvedValue(new Response(JSON.stringify({ openid: 'openid-cfg', session_key: 'k' })))
    try {
      const res = await fetchWith(PRODUCTION_WITHOUT_SECRET, 'POST', '/api/auth/wechat/login', { code: 'abc' })
      expect(expectError(res, 500, 'CONFIGURATION_ERROR').error).toMatch(/JWT_SECRET/)
    } finally {
      vi.restoreAllMocks()
    }
  })

  it('treats a secret shorter than 32 characters as misconfigured', async () => {
    const user = await newUser('cfg')
    const res = await fetchWith({ ENVIRONMENT: 'production', JWT_SECRET: 'too-short-secret' }, 'POST', '/api/auth/login', { login: user.username, password: user.password })
    const { error } = expectError(res, 500, 'CONFIGURATION_ERROR')
    expect(error).toMatch(/32/)
    // The message never echoes the secret itself.
    expect(error).not.toContain('too-short-secret')
  })

  it('refuses any environment that is not development or test', async () => {
    const user = await newUser('cfg')
    for (const ENVIRONMENT of ['staging', 'prod', '']) {
      const res = await fetchWith({ ENVIRONMENT, JWT_SECRET: '' }, 'POST', '/api/auth/login', { login: user.username, password: user.password })
      expectError(res, 500, 'CONFIGURATION_ERROR')
    }
  })

  it('works in production with a proper secret, and tokens from one key do not open another', async () => {
    const user = await newUser('cfg')
    const prodSecret = { ENVIRONMENT: 'production', JWT_SECRET: 'production-secret-0123456789abcdef0123456789' }
    const signedIn = await fetchWith(prodSecret, 'POST', '/api/auth/login', { login: user.username, password: user.password })
    const token = dataOf(signedIn, loginRoute, 200).accessToken
    expect((await fetchWith(prodSecret, 'GET', '/api/auth/me', undefined, token)).status).toBe(200)
    // The test key (normal env) rejects the production-signed token.
    expectError(await fetchWith({}, 'GET', '/api/auth/me', undefined, token), 401, 'UNAUTHORIZED')
  })

  it('lets local development run without a secret, using a development key', async () => {
    const user = await newUser('cfg')
    const dev = { ENVIRONMENT: 'development', JWT_SECRET: '' }
    // Made on this machine: the URL is localhost and so is the connecting address.
    const signedIn = await fetchWith(dev, 'POST', '/api/auth/login', { login: user.username, password: user.password }, undefined, loopbackIp())
    const { accessToken } = dataOf(signedIn, loginRoute, 200)
    expect((await fetchWith(dev, 'GET', '/api/auth/me', undefined, accessToken, loopbackIp())).status).toBe(200)
  })

  it('keeps routes that need no secret working, e.g. health', async () => {
    const res = await fetchWith(PRODUCTION_WITHOUT_SECRET, 'GET', '/health')
    expect(res.status).toBe(200)
  })
})

describe('development fallbacks only for requests to localhost', () => {
  // A worker deployed with ENVIRONMENT=development and no secret must not sign with the public
  // development key for requests to its public host.
  async function fetchAt(origin: string, overrides: Partial<Env>, method: string, path: string, body?: unknown, token?: string, ip = origin.includes('example') ? freshIp() : loopbackIp()) {
    const headers = new Headers({ 'CF-Connecting-IP': ip })
    if (token) headers.set('Authorization', `Bearer ${token}`)
    if (body !== undefined) headers.set('Content-Type', 'application/json')
    const ctx = createExecutionContext()
    const init = { method, headers, body: body === undefined ? undefined : JSON.stringify(body) }
    const res = await createApp().fetch(new Request(`${origin}${path}`, init), { ...env, ...overrides }, ctx)
    await waitOnExecutionContext(ctx)
    return { res, status: res.status, body: (await res.json()) as unknown }
  }
  const DEV_WITHOUT_SECRET = { ENVIRONMENT: 'development', JWT_SECRET: '' }

  it('refuses a deployed development worker (public host) with 500 CONFIGURATION_ERROR naming the variable', async () => {
    const user = await newUser('cfg')
    const sessions = await countRows('sessions')
    for (const origin of ['https://darkroom.example.workers.dev', 'http://10.0.0.5:8787', 'http://localhost.example.com']) {
      const res = await fetchAt(origin, DEV_WITHOUT_SECRET, 'POST', '/api/auth/login', { login: user.username, password: user.password })
      expect(expectError(res, 500, 'CONFIGURATION_ERROR').error).toMatch(/JWT_SECRET/)
    }
    expect(await countRows('sessions')).toBe(sessions)
  })

  it('a Host header that says localhost is not enough: the connecting address must be local too', async () => {
    const user = await newUser('cfg')
    for (const ip of ['203.0.113.77', '2001:db8::1']) {
      const res = await fetchAt('http://localhost:8787', DEV_WITHOUT_SECRET, 'POST', '/api/auth/login', { login: user.username, password: user.password }, undefined, ip)
      expectError(res, 500, 'CONFIGURATION_ERROR')
    }
  })

  it('allows the fallback for localhost, 127.0.0.0/8 and ::1', async () => {
    const user = await newUser('cfg')
    for (const origin of ['http://localhost:8787', 'http://127.0.0.1:8787', 'http://127.1.2.3', 'http://[::1]:8787']) {
      const res = await fetchAt(origin, DEV_WITHOUT_SECRET, 'POST', '/api/auth/login', { login: user.username, password: user.password })
      expect(res.status, `${origin}: ${JSON.stringify(res.body)}`).toBe(200)
      const me = await fetchAt(origin, DEV_WITHOUT_SECRET, 'GET', '/api/auth/me', undefined, dataOf(res, loginRoute, 200).accessToken)
      expect(me.status).toBe(200)
    }
  })

  it('work outside a request (queue, cron, Durable Object callbacks) never uses the fallback', async () => {
    const dev = { ...env, ...DEV_WITHOUT_SECRET } as Env
    expect(() => requireSecret(dev, 'JWT_SECRET')).toThrow(/JWT_SECRET/)
    expect(withLocalScope(true, () => requireSecret(dev, 'JWT_SECRET'))).toMatch(/development/)
    expect(() => withLocalScope(false, () => requireSecret(dev, 'JWT_SECRET'))).toThrow(/JWT_SECRET/)
    // Production never falls back, even for localhost.
    expect(() => withLocalScope(true, () => requireSecret({ ...dev, ENVIRONMENT: 'production' }, 'JWT_SECRET'))).toThrow(/JWT_SECRET/)
  })
})

describe('configuration is parsed once per env by one schema', () => {
  it('names a malformed variable (never its value) in a 500 CONFIGURATION_ERROR', async () => {
    for (const [name, value] of [
      ['ACCESS_TOKEN_TTL_SECONDS', 'fifteen minutes'],
      ['GENERATION_PROVIDER', 'dall-e'],
      ['PUBLIC_BASE_URL', 'ftp://darkroom.example'],
    ] as const) {
      const res = await fetchWith({ [name]: value }, 'GET', '/api/models')
      const { error } = expectError(res, 500, 'CONFIGURATION_ERROR')
      expect(error).toContain(name)
      expect(error).not.toContain(value)
    }
  })

  it('treats empty variables as unset and applies the documented defaults', () => {
    const parsed = config({ ...env, MAX_IMAGE_BYTES: '', SIGNUP_CREDITS: ' ', GENERATION_PROVIDER: '' } as Env)
    expect(parsed.MAX_IMAGE_BYTES).toBe(50 * 1024 * 1024)
    expect(parsed.SIGNUP_CREDITS).toBe(100)
    expect(parsed.GENERATION_PROVIDER).toBe('local')
    expect(parsed.CORS_ORIGINS).toEqual(['http://localhost:5173', 'https://app.example.com'])
  })

  it('returns the same parsed object for the same env, and a new one for a changed env', () => {
    expect(config(env)).toBe(config(env))
    const changed = { ...env, SIGNUP_CREDITS: '7' } as Env
    expect(config(changed).SIGNUP_CREDITS).toBe(7)
    expect(config(env).SIGNUP_CREDITS).toBe(100)
  })
})

describe('a malformed variable does not take /health down with it', () => {
  it('answers 503 with checks.config "error" and logs the variable name', async () => {
    const lines: string[] = []
    vi.spyOn(console, 'error').mockImplementation((line: string) => void lines.push(String(line)))
    const broken = await fetchWith({ SESSION_TTL_SECONDS: 'a day' }, 'GET', '/health')
    expect(broken.status).toBe(503)
    expect(z.object({ checks: z.object({ config: z.literal('error'), db: z.literal('ok') }) }).parse(broken.body).checks.config).toBe('error')
    expect(lines.join('\n')).toContain('SESSION_TTL_SECONDS')
    vi.restoreAllMocks()
  })
})

