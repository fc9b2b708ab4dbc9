import { env } from 'cloudflare:test'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { z } from '@hono/zod-openapi'
import { registerRoute } from '../../src/features/auth/routes'
import { call, callApp, callJson, countRows, d1WithHook, dataOf, dbFirst, expectError, freshIp, uniqueName } from '../helpers'

/** Validation details: one `{field, message}` per failing field. */
const Details = z.array(z.object({ field: z.string(), message: z.string() }))
/** Any JSON object, every key kept, to prove a field is absent. */
const RawObject = z.record(z.string(), z.unknown())

const PASSWORD = 'secret-pass-1'

function body(overrides: Record<string, unknown> = {}) {
  const username = uniqueName('reg')
  return { username, email: `${username}@example.com`, password: PASSWORD, ...overrides }
}

function form(fields: Record<string, string>) {
  const f = new FormData()
  for (const [k, v] of Object.entries(fields)) f.append(k, v)
  return f
}

/** Fields that must never reach a client, whatever the route. */
const PRIVATE_FIELDS = ['passwordHash', 'password_hash', 'password', 'failedLogins', 'lockedUntil', 'avatarKey', 'wechatOpenId']

afterEach(() => vi.useRealTimers())

describe('POST /api/auth/register (JSON)', () => {
  it('creates the account: 201 {user} with defaults and no secrets', async () => {
    const input = body({ email: `${uniqueName('Mixed')}@Example.COM` })
    const res = await callJson('POST', '/api/auth/register', input)
    const user = dataOf(res, registerRoute, 201).user
    expect(z.object({ success: z.boolean() }).parse(res.body).success).toBe(true)
    const raw = z.object({ data: z.looseObject({ user: RawObject }) }).parse(res.body).data
    expect(user.id).toMatch(/^usr_/)
    expect(user.username).toBe(input.username)
    // Emails are stored lower-case so uniqueness and login are case-insensitive.
    expect(user.email).toBe(String(input.email).toLowerCase())
    expect(user.role).toBe('user')
    expect(user.credits).toBeTypeOf('number')
    expect(user.avatarUrl).toBeNull()
    expect(new Date(user.createdAt).toISOString()).toBe(user.createdAt)
    for (const field of PRIVATE_FIELDS) expect(raw.user).not.toHaveProperty(field)
    // Registration does not sign in: tokens come from /login.
    expect(raw).not.toHaveProperty('accessToken')
    // The password is stored hashed, never as given.
    const row = await dbFirst<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = ?', user.id)
    expect(row?.password_hash).toMatch(/^pbkdf2_sha256\$/)
    expect(row?.password_hash).not.toContain(PASSWORD)
  })

  it('accepts the boundaries of every rule', async () => {
    for (const overrides of [
      { username: 'ab1' }, // 3 characters
      { username: `${uniqueName('b')}_xxxxxxxxxxxxxxxxxxxx`.slice(0, 20) }, // 20 characters
      { password: 'abcdefg1' }, // 8 characters, one letter, one digit
      { password: '1234567a' },
    ]) {
      const input = body(overrides)
      const res = await callJson('POST', '/api/auth/register', input)
      expect(res.status, `${JSON.stringify(overrides)} -> ${JSON.stringify(res.body)}`).toBe(201)
    }
  })

  it.each([
    ['username too short', { username: 'ab' }, 'username'],
    ['username too long', { username: 'a'.repeat(21) }, 'username'],
    ['username with a hyphen', { username: 'bad-name' }, 'username'],
    ['username with a space', { username: 'bad name' }, 'username'],
    ['username with non-ASCII letters', { username: 'jürgen_1' }, 'username'],
    ['username missing', { username: undefined }, 'username'],
    ['email without domain', { email: 'ada@' }, 'email'],
    ['email without @', { email: 'ada.example.com' }, 'email'],
    ['email missing', { email: undefined }, 'email'],
    ['password of 7 characters', { password: 'abcde12' }, 'password'],
    ['password without a digit', { password: 'abcdefghij' }, 'password'],
    ['password without a letter', { password: '1234567890' }, 'password'],
    ['password over 128 characters', { password: `a1${'x'.repeat(127)}` }, 'password'],
    ['password missing', { password: undefined }, 'password'],
    ['username of the wrong type', { username: 12345 }, 'username'],
  ])('400 VALIDATION_ERROR for %s', async (_name, overrides, field) => {
    const before = await countRows('users')
    const { details } = expectError(await callJson('POST', '/api/auth/register', body(overrides)), 400, 'VALIDATION_ERROR')
    expect(Details.parse(details).map((d) => d.field)).toContain(field)
    expect(await countRows('users')).toBe(before)
  })

  it('names every failing field at once in details', async () => {
    const res = await callJson('POST', '/api/auth/register', { username: 'x', email: 'nope', password: 'short' })
    const { details } = expectError(res, 400, 'VALIDATION_ERROR')
    const fields = new Set(Details.parse(details).map((d) => d.field))
    expect(fields).toEqual(new Set(['username', 'email', 'password']))
  })

  it('409 USER_EXISTS for a taken username or email, whatever their case', async () => {
    const first = body()
    expect((await callJson('POST', '/api/auth/register', first)).status).toBe(201)
    const sameName = await callJson('POST', '/api/auth/register', body({ username: first.username.toUpperCase() }))
    expectError(sameName, 409, 'USER_EXISTS')
    const sameEmail = await callJson('POST', '/api/auth/register', body({ email: first.email.toUpperCase() }))
    expectError(sameEmail, 409, 'USER_EXISTS')
    const rows = await dbFirst<{ n: number }>('SELECT count(*) AS n FROM users WHERE lower(username) = lower(?)', first.username)
    expect(rows?.n).toBe(1)
  })

  it('answers 409 when another registration wins between the check and the insert', async () => {
    // The hook commits a competing account with the same name right before this INSERT runs:
    // the interleaving of two simultaneous sign-ups. The unique index must turn it into 409.
    const input = body()
    const DB = d1WithHook(/^insert into "users"/i, async () => {
      await env.DB.prepare('INSERT INTO users (id, username, email, created_at, updated_at) VALUES (?, ?, ?, ?, ?)')
        .bind('usr_competitor', input.username.toUpperCase(), 'competitor@example.com', Date.now(), Date.now()).run()
    })
    expectError(await callApp({ DB }, 'POST', '/api/auth/register', input), 409, 'USER_EXISTS')
  })

  it('400 for malformed JSON, 415 for a missing or unsupported content type', async () => {
    expectError(await callJson('POST', '/api/auth/register', '{"username": "abc",', { headers: { 'Content-Type': 'application/json' } }), 400, 'VALIDATION_ERROR')
    // A bytes body carries no Content-Type at all: the server cannot know how to read it.
    const bytes = new TextEncoder().encode(JSON.stringify(body()))
    expectError(await callJson('POST', '/api/auth/register', bytes), 415, 'UNSUPPORTED_MEDIA_TYPE')
    expectError(await callJson('POST', '/api/auth/register', JSON.stringify(body()), { headers: { 'Content-Type': 'text/plain' } }), 415, 'UNSUPPORTED_MEDIA_TYPE')
    // URL-encoded forms are not a documented format for this route; any clean 4xx is fine.
    const urlencoded = new URLSearchParams(body() as Record<string, string>).toString()
    const res = await callJson('POST', '/api/auth/register', urlencoded, { headers: { 'Content-Type': 'application/x-www-form-urlencoded' } })
    expect([400, 415]).toContain(res.status)
    expect(z.object({ success: z.boolean() }).parse(res.body).success).toBe(false)
    // And an empty request: nothing to read.
    expectError(await callJson('POST', '/api/auth/register'), 400, 'VALIDATION_ERROR')
  })
})

describe('POST /api/auth/register (multipart)', () => {
  it('creates the account from form fields without an avatar', async () => {
    const input = body()
    const { user } = dataOf(await callJson('POST', '/api/auth/register', form(input)), registerRoute, 201)
    expect(user.username).toBe(input.username)
    expect(user.avatarUrl).toBeNull()
    const signIn = await callJson('POST', '/api/auth/login', { login: input.username, password: PASSWORD })
    expect(signIn.status).toBe(200)
  })

  it('validates multipart fields like JSON ones', async () => {
    const res = await callJson('POST', '/api/auth/register', form(body({ email: 'not-an-email' })))
    const { details } = expectError(res, 400, 'VALIDATION_ERROR')
    expect(Details.parse(details).map((d) => d.field)).toContain('email')
  })

  it('400 when `avatar` is a text field instead of a file', async () => {
    const before = await countRows('users')
    const res = await callJson('POST', '/api/auth/register', form({ ...body(), avatar: 'https://example.com/me.png' }))
    expectError(res, 400, 'VALIDATION_ERROR')
    expect(await countRows('users')).toBe(before)
  })
})

describe('register rate limit: 3 well-formed attempts per hour per IP', () => {
  it('answers the 4th with 429 RATE_LIMITED and Retry-After, and lets the next hour in', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    // Pin the clock 10 minutes into an hour, so the fixed window cannot roll over mid-test.
    vi.setSystemTime(new Date('2026-06-01T10:10:00Z'))
    const ip = freshIp()
    // Invalid bodies are not "well-formed attempts" and must not use up the allowance.
    for (let i = 0; i < 4; i++) expect((await callJson('POST', '/api/auth/register', body({ email: 'bad' }), { ip })).status).toBe(400)
    for (let i = 0; i < 3; i++) expect((await callJson('POST', '/api/auth/register', body(), { ip })).status).toBe(201)

    const before = await countRows('users')
    const limited = await callJson('POST', '/api/auth/register', body(), { ip })
    expectError(limited, 429, 'RATE_LIMITED')
    // 50 minutes remain in the window.
    expect(limited.res.headers.get('Retry-After')).toBe('3000')
    expect(await countRows('users')).toBe(before)

    // Other IPs are not affected.
    expect((await callJson('POST', '/api/auth/register', body())).status).toBe(201)

    vi.setSystemTime(new Date('2026-06-01T11:00:01Z'))
    expect((await callJson('POST', '/api/auth/register', body(), { ip })).status).toBe(201)
  })

  it('counts multipart registrations and conflicts too', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(new Date('2026-06-02T10:10:00Z'))
    const ip = freshIp()
    const taken = body()
    expect((await callJson('POST', '/api/auth/register', form(taken), { ip })).status).toBe(201)
    expect((await callJson('POST', '/api/auth/register', taken, { ip })).status).toBe(409)
    expect((await callJson('POST', '/api/auth/register', form(body()), { ip })).status).toBe(201)
    const res = await call('POST', '/api/auth/register', form(body()), { ip })
    expect(res.status).toBe(429)
    expect(Number(res.headers.get('Retry-After'))).toBeGreaterThan(0)
  })
})
