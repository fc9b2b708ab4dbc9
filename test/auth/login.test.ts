import { describe, expect, it } from 'vitest'
import { z } from '@hono/zod-openapi'
import { adminLoginRoute, getMeRoute, loginRoute } from '../../src/features/auth/routes'
import { callJson, dataOf, dbFirst, dbRun, expectError, login, registerOnly } from '../helpers'

/** Validation details: one `{field, message}` per failing field. */
const Details = z.array(z.object({ field: z.string(), message: z.string() }))
/** The raw `data.user` object, every key kept, to prove a private field is absent. */
const rawUser = (body: unknown) => z.object({ data: z.object({ user: z.record(z.string(), z.unknown()) }) }).parse(body).data.user

describe('POST /api/auth/login', () => {
  it('signs in by username and answers the documented token pair', async () => {
    const user = await registerOnly('login')
    const res = await login(user.username, user.password)
    const data = dataOf(res, loginRoute, 200)
    expect(z.object({ success: z.boolean() }).parse(res.body).success).toBe(true)
    expect(data.accessToken.split('.')).toHaveLength(3)
    expect(data.refreshToken).toMatch(/^rt_/)
    expect(data.tokenType).toBe('Bearer')
    expect(data.expiresIn).toBe(900)
    expect(data.refreshExpiresIn).toBe(86_400)
    expect(data.user.id).toBe(user.id)
    expect(rawUser(res.body)).not.toHaveProperty('passwordHash')
    // lastLoginAt records this sign-in.
    expect(Date.now() - Date.parse(String(data.user.lastLoginAt))).toBeLessThan(60_000)
    // The access token works.
    const me = await callJson('GET', '/api/auth/me', undefined, { token: data.accessToken })
    const meUser = dataOf(me, getMeRoute, 200).user
    expect(meUser).toMatchObject({ id: user.id, username: user.username, role: 'user' })
    expect(meUser.credits).toBeTypeOf('number')
  })

  it('signs in by email, in any case, and with surrounding spaces', async () => {
    const user = await registerOnly('login')
    for (const name of [user.email, user.email.toUpperCase(), user.username.toUpperCase(), `  ${user.username}  `]) {
      const res = await login(name, user.password)
      expect(res.status, `${name}: ${JSON.stringify(res.body)}`).toBe(200)
      expect(dataOf(res, loginRoute, 200).user.id).toBe(user.id)
    }
  })

  it('accepts `username` or `email` instead of `login`', async () => {
    const user = await registerOnly('login')
    const byUsername = await callJson('POST', '/api/auth/login', { username: user.username, password: user.password })
    expect(byUsername.status, JSON.stringify(byUsername.body)).toBe(200)
    const byEmail = await callJson('POST', '/api/auth/login', { email: user.email, password: user.password })
    expect(dataOf(byEmail, loginRoute, 200).user.id).toBe(user.id)
  })

  it('401 INVALID_CREDENTIALS for a wrong password or an unknown user, with the same message', async () => {
    const user = await registerOnly('login')
    const wrong = expectError(await login(user.username, 'wrong-pass-1'), 401, 'INVALID_CREDENTIALS')
    const unknown = expectError(await login('nobody_like_this', 'wrong-pass-1'), 401, 'INVALID_CREDENTIALS')
    const unknownEmail = await login('nobody@example.com', 'wrong-pass-1')
    expectError(unknownEmail, 401, 'INVALID_CREDENTIALS')
    // The answers must not tell an attacker which accounts exist.
    expect(unknown.error).toBe(wrong.error)
    // The password of someone else does not open this account.
    const other = await registerOnly('login', 'other-pass-2')
    expectError(await login(user.username, other.password), 401, 'INVALID_CREDENTIALS')
  })

  it('401 for an account without a password (WeChat-only)', async () => {
    const user = await registerOnly('login')
    await dbRun('UPDATE users SET password_hash = NULL WHERE id = ?', user.id)
    expectError(await login(user.username, user.password), 401, 'INVALID_CREDENTIALS')
  })

  it.each([
    ['no login at all', { password: 'secret-pass-1' }, 'login'],
    ['an empty login', { login: '', password: 'secret-pass-1' }, 'login'],
    ['no password', { login: 'someone' }, 'password'],
    ['an empty password', { login: 'someone', password: '' }, 'password'],
    ['a non-boolean rememberMe', { login: 'someone', password: 'secret-pass-1', rememberMe: 'yes' }, 'rememberMe'],
    ['a numeric login', { login: 42, password: 'secret-pass-1' }, 'login'],
  ])('400 VALIDATION_ERROR for %s', async (_name, payload, field) => {
    const { details } = expectError(await callJson('POST', '/api/auth/login', payload), 400, 'VALIDATION_ERROR')
    expect(Details.parse(details).map((d) => d.field)).toContain(field)
  })

  it('400 for malformed JSON and 415 for a non-JSON body', async () => {
    expectError(await callJson('POST', '/api/auth/login', '{"login":', { headers: { 'Content-Type': 'application/json' } }), 400, 'VALIDATION_ERROR')
    expectError(await callJson('POST', '/api/auth/login', 'login=a&password=b', { headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }), 415, 'UNSUPPORTED_MEDIA_TYPE')
  })

  it('does not reveal the account state in the user it returns', async () => {
    const user = await registerOnly('login')
    const { body } = await login(user.username, user.password)
    for (const field of ['passwordHash', 'failedLogins', 'lockedUntil', 'wechatOpenId', 'avatarKey']) {
      expect(rawUser(body)).not.toHaveProperty(field)
    }
    expect(JSON.stringify(body)).not.toContain('pbkdf2')
  })
})

describe('POST /api/auth/admin/login', () => {
  it('signs in an admin and the token carries the admin role', async () => {
    const admin = await registerOnly('admin')
    await dbRun("UPDATE users SET role = 'admin' WHERE id = ?", admin.id)
    const res = await callJson('POST', '/api/auth/admin/login', { login: admin.username, password: admin.password })
    const data = dataOf(res, adminLoginRoute, 200)
    expect(data.user.role).toBe('admin')
    const me = await callJson('GET', '/api/auth/me', undefined, { token: data.accessToken })
    expect(dataOf(me, getMeRoute, 200).user.role).toBe('admin')
    // An admin may also use the normal login.
    expect((await login(admin.email, admin.password)).status).toBe(200)
  })

  it('403 FORBIDDEN for a non-admin with the right password, and no session is started', async () => {
    const user = await registerOnly('notadmin')
    const res = await callJson('POST', '/api/auth/admin/login', { login: user.username, password: user.password })
    expectError(res, 403, 'FORBIDDEN')
    expect(z.record(z.string(), z.unknown()).parse(res.body)).not.toHaveProperty('data')
    const sessions = await dbFirst<{ n: number }>('SELECT count(*) AS n FROM sessions WHERE user_id = ?', user.id)
    expect(sessions?.n).toBe(0)
  })

  it('401 for wrong credentials, before telling whether the account is an admin', async () => {
    const user = await registerOnly('notadmin')
    expectError(await callJson('POST', '/api/auth/admin/login', { login: user.username, password: 'wrong-pass-1' }), 401, 'INVALID_CREDENTIALS')
    expectError(await callJson('POST', '/api/auth/admin/login', { login: 'ghost_admin', password: 'wrong-pass-1' }), 401, 'INVALID_CREDENTIALS')
  })

  it('validates its body like /login', async () => {
    expectError(await callJson('POST', '/api/auth/admin/login', { password: 'x' }), 400, 'VALIDATION_ERROR')
    expectError(await callJson('POST', '/api/auth/admin/login', { login: 'x' }), 400, 'VALIDATION_ERROR')
  })
})
