import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createApp } from '../../src/app'
import { z } from '@hono/zod-openapi'
import { ErrorSchema } from '../../src/lib/openapi'
import { call, callJson, expectError, newUser } from '../helpers'
import { insertWork } from '../support/works'

/** Any JSON object, every key kept (zod would strip the keys this file checks are absent). */
const RawObject = z.record(z.string(), z.unknown())

afterEach(() => vi.restoreAllMocks())

describe('error envelope', () => {
  it('answers unknown routes with a JSON 404, under /api and outside it', async () => {
    for (const path of ['/api/nope', '/api/auth/nope', '/nope/deeper']) {
      const res = await callJson('GET', path)
      expectError(res, 404, 'NOT_FOUND')
      expect(res.res.headers.get('X-Request-Id')).toBeTruthy()
    }
    // A known path with a method it does not serve is not an HTML page either.
    const wrongMethod = await callJson('DELETE', '/api/auth/login')
    expect([404, 405]).toContain(wrongMethod.status)
    expect(z.object({ success: z.boolean() }).parse(wrongMethod.body).success).toBe(false)
  })

  it('uses exactly the documented keys: success, error, code and optional details', async () => {
    const samples = [
      await callJson('POST', '/api/auth/login', { login: 'nobody_here', password: 'wrong-pass-1' }), // 401
      await callJson('POST', '/api/auth/register', { username: 'x' }), // 400 with details
      await callJson('GET', '/api/users/profile'), // 401
      await callJson('GET', '/api/missing'), // 404
    ]
    for (const { body, status } of samples) {
      expect(status).toBeGreaterThanOrEqual(400)
      expect(Object.keys(RawObject.parse(body)).every((k) => ['success', 'error', 'code', 'details'].includes(k)), JSON.stringify(body)).toBe(true)
      expect(ErrorSchema.parse(body).code).toMatch(/^[A-Z_]+$/)
      expect(JSON.stringify(body)).not.toMatch(/\bat .*\.(ts|js):\d+/) // no stack frames
    }
    // Validation details name each field with a message.
    const details = z.array(RawObject).parse(ErrorSchema.parse(samples[1]!.body).details)
    expect(details.length).toBeGreaterThan(0)
    for (const d of details) expect(d).toEqual({ field: expect.any(String), message: expect.any(String) })
  })

  it('puts a unique X-Request-Id on successes and errors', async () => {
    const user = await newUser('rid')
    const responses = [
      await call('GET', '/api/auth/me', undefined, { token: user.accessToken }),
      await call('GET', '/api/auth/me'),
      await call('GET', '/health'),
      await call('GET', '/openapi.json'),
      await call('GET', '/nowhere'),
    ]
    const ids = responses.map((r) => r.headers.get('X-Request-Id'))
    for (const id of ids) expect(id).toBeTruthy()
    expect(new Set(ids).size).toBe(ids.length)
  })

  it('answers an unexpected failure with a generic 500 SERVER_ERROR and logs it with the request id', async () => {
    // A D1 binding that fails like an outage: the handler throws something that is not an ApiError.
    const brokenDb = {
      prepare: () => { throw new Error('D1 is on fire') },
      batch: () => Promise.reject(new Error('D1 is on fire')),
    } as unknown as D1Database
    const logged: string[] = []
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => { logged.push(args.map(String).join(' ')) })
    const ctx = createExecutionContext()
    const res = await createApp().fetch(
      new Request('http://localhost/api/auth/login', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'CF-Connecting-IP': '198.51.100.9' },
        body: JSON.stringify({ login: 'someone', password: 'super-secret-password-1' }),
      }),
      { ...env, DB: brokenDb },
      ctx,
    )
    await waitOnExecutionContext(ctx)
    const body: unknown = await res.json()
    const { details } = expectError({ status: res.status, body, res }, 500, 'SERVER_ERROR')
    const { requestId } = z.object({ requestId: z.string() }).parse(details)
    // Nothing internal reaches the client...
    expect(JSON.stringify(body)).not.toContain('on fire')
    expect(requestId).toBe(res.headers.get('X-Request-Id'))
    // ...but the log has it, with the request id, and never the request body.
    const line = logged.join('\n')
    expect(line).toContain('D1 is on fire')
    expect(line).toContain(requestId)
    expect(line).not.toContain('super-secret-password-1')
  })
})

describe('CORS', () => {
  it('echoes an allowed origin and exposes the documented headers', async () => {
    const res = await call('GET', '/health', undefined, { headers: { Origin: 'https://app.example.com' } })
    expect(res.headers.get('Access-Control-Allow-Origin')).toBe('https://app.example.com')
    const exposed = (res.headers.get('Access-Control-Expose-Headers') ?? '').toLowerCase()
    for (const h of ['x-request-id', 'retry-after']) expect(exposed).toContain(h)
  })

  it('does not allow an origin outside the list', async () => {
    for (const origin of ['https://evil.example.com', 'https://app.example.com.evil.net', 'null']) {
      const res = await call('GET', '/health', undefined, { headers: { Origin: origin } })
      const allowed = res.headers.get('Access-Control-Allow-Origin')
      expect(allowed === null || allowed !== origin, origin).toBe(true)
      expect(allowed).not.toBe('*')
    }
  })

  it('answers a preflight for an allowed origin with the Authorization header allowed', async () => {
    const preflight = { Origin: 'http://localhost:5173', 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'authorization,content-type' }
    const ok = await call('OPTIONS', '/api/users/profile', undefined, { headers: preflight })
    expect(ok.status).toBe(204)
    expect(ok.headers.get('Access-Control-Allow-Origin')).toBe('http://localhost:5173')
    expect((ok.headers.get('Access-Control-Allow-Headers') ?? '').toLowerCase()).toContain('authorization')
    expect((ok.headers.get('Access-Control-Allow-Methods') ?? '').toUpperCase()).toContain('PUT')
    const evil = await call('OPTIONS', '/api/users/profile', undefined, { headers: { ...preflight, Origin: 'https://evil.example.com' } })
    expect(evil.headers.get('Access-Control-Allow-Origin')).toBeNull()
  })
})

describe('request body limit', () => {
  it('413 PAYLOAD_TOO_LARGE for a JSON body over 1 MB', async () => {
    const big = JSON.stringify({ login: 'someone', password: 'x'.repeat(1024 * 1024 + 10) })
    const res = await callJson('POST', '/api/auth/login', big, { headers: { 'Content-Type': 'application/json' } })
    expectError(res, 413, 'PAYLOAD_TOO_LARGE')
    const profile = await callJson('PUT', '/api/users/profile', big, { headers: { 'Content-Type': 'application/json' } })
    expectError(profile, 413, 'PAYLOAD_TOO_LARGE')
  })

  it('still reads a JSON body just under the limit (and validates it)', async () => {
    const body = JSON.stringify({ login: 'someone', password: 'x'.repeat(1000 * 1000) })
    const res = await callJson('POST', '/api/auth/login', body, { headers: { 'Content-Type': 'application/json' } })
    // Over the 128-character password limit, so a validation error rather than a size error.
    expectError(res, 400, 'VALIDATION_ERROR')
  })
})

describe('security headers', () => {
  it('sets nosniff on API answers', async () => {
    const res = await call('GET', '/api/missing')
    expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff')
  })
})

describe('caching headers on /api', () => {
  const varies = (res: Response) => (res.headers.get('Vary') ?? '').split(',').map((v) => v.trim().toLowerCase())

  it('JSON answers, successes and errors, are private, no-store and vary by Authorization', async () => {
    const user = await newUser('cache')
    const responses = [
      await call('GET', '/api/auth/me', undefined, { token: user.accessToken }), // private data
      await call('GET', '/api/works/gallery'), // optional auth: isLiked differs by token
      await call('GET', '/api/works/gallery', undefined, { token: user.accessToken }),
      await call('GET', '/api/auth/me'), // 401
      await call('GET', '/api/nope'), // 404 from notFound
    ]
    for (const res of responses) {
      expect(res.headers.get('Content-Type')).toMatch(/^application\/json/)
      expect(res.headers.get('Cache-Control'), res.url).toBe('private, no-store')
      expect(varies(res)).toContain('authorization')
      await res.arrayBuffer()
    }
    // Vary is added to, never replaced: CORS's Origin stays.
    const cors = await call('GET', '/api/works/gallery', undefined, { headers: { Origin: 'https://app.example.com' } })
    expect(varies(cors)).toEqual(expect.arrayContaining(['origin', 'authorization']))
    await cors.arrayBuffer()
  })

  it('an image variant keeps its own Cache-Control (immutable, public) and gets no JSON policy', async () => {
    const owner = await newUser('cache')
    const { workId } = await insertWork(owner.id, { published: true })
    const res = await call('GET', `/api/works/${workId}/images/thumb?v=1`)
    expect(res.status).toBe(200)
    expect(res.headers.get('Content-Type')).toMatch(/^image\//)
    expect(res.headers.get('Cache-Control')).toBe('public, max-age=31536000, immutable')
    expect(varies(res)).not.toContain('authorization')
    await res.arrayBuffer()
  })
})
