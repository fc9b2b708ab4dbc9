import { afterEach, describe, expect, it, vi } from 'vitest'
import { sha256Hex as sha256 } from '../../src/lib/ids'
import { z } from '@hono/zod-openapi'
import { loginRoute, logoutRoute, refreshTokensRoute } from '../../src/features/auth/routes'
import { changePasswordRoute } from '../../src/features/users/routes'
import { callJson, dataOf, dbFirst, dbRun, expectError, login, newUser, registerOnly } from '../helpers'

afterEach(() => vi.useRealTimers())

const refresh = (refreshToken: unknown) => callJson('POST', '/api/auth/refresh', { refreshToken })
const me = (token: string) => callJson('GET', '/api/auth/me', undefined, { token })
const logout = (token: string) => callJson('POST', '/api/auth/logout', undefined, { token })
/** The raw `data` of an envelope, every key kept. */
const RawData = z.object({ data: z.unknown() })

describe('POST /api/auth/refresh', () => {
  it('rotates: a new pair works, the presented refresh token stops working', async () => {
    const user = await newUser('rot')
    const pair = dataOf(await refresh(user.refreshToken), refreshTokensRoute, 200)
    expect(pair.refreshToken).toMatch(/^rt_/)
    expect(pair.refreshToken).not.toBe(user.refreshToken)
    expect(pair.tokenType).toBe('Bearer')
    expect(pair.expiresIn).toBe(900)
    expect(pair.user.id).toBe(user.id)
    expect((await me(pair.accessToken)).status).toBe(200)
    // The next rotation works with the new token.
    const second = dataOf(await refresh(pair.refreshToken), refreshTokensRoute, 200)
    // Only a hash of the refresh token is stored.
    expect(await dbFirst('SELECT 1 FROM refresh_tokens WHERE token_hash = ?', second.refreshToken)).toBeNull()
  })

  it('treats reuse of a rotated token as theft: 401 and the whole session is revoked', async () => {
    const user = await newUser('reuse')
    const other = dataOf(await login(user.username, user.password), loginRoute, 200) // a second, unrelated session
    const rotated = dataOf(await refresh(user.refreshToken), refreshTokensRoute, 200)
    const newest = dataOf(await refresh(rotated.refreshToken), refreshTokensRoute, 200)

    const reuse = await refresh(user.refreshToken)
    expectError(reuse, 401, 'UNAUTHORIZED')
    // Every token of that session is dead: the newest refresh token and every access token.
    expectError(await refresh(newest.refreshToken), 401, 'UNAUTHORIZED')
    expectError(await me(newest.accessToken), 401, 'UNAUTHORIZED')
    expectError(await me(rotated.accessToken), 401, 'UNAUTHORIZED')
    expectError(await me(user.accessToken), 401, 'UNAUTHORIZED')
    // Other sessions of the same user are untouched.
    expect((await me(other.accessToken)).status).toBe(200)
    expect((await refresh(other.refreshToken)).status).toBe(200)
  })

  it('answers two concurrent refreshes with the same token with the SAME successor (two tabs, a lost response)', async () => {
    const user = await newUser('race')
    const results = await Promise.all([refresh(user.refreshToken), refresh(user.refreshToken)])
    const [a, b] = results.map((r) => dataOf(r, refreshTokensRoute, 200))
    if (!a || !b) throw new Error('two answers expected')
    expect(a.refreshToken).toBe(b.refreshToken)
    expect(a.refreshToken).not.toBe(user.refreshToken)
    for (const pair of [a, b]) expect((await me(pair.accessToken)).status).toBe(200)
    // One successor row only, and it rotates normally.
    const rows = await dbFirst<{ n: number }>(
      'SELECT count(*) AS n FROM refresh_tokens WHERE session_id = (SELECT session_id FROM refresh_tokens WHERE token_hash = ?)',
      await sha256(a.refreshToken))
    expect(rows?.n).toBe(2)
    expect((await refresh(a.refreshToken)).status).toBe(200)
  })

  it('a retry within 30 seconds gets the same successor and a fresh access token; after 30 seconds reuse revokes', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    let now = Date.parse('2026-07-01T08:00:00Z')
    vi.setSystemTime(now)
    const user = await newUser('grace')
    const first = dataOf(await refresh(user.refreshToken), refreshTokensRoute, 200)
    now += 29_000
    vi.setSystemTime(now)
    const retry = dataOf(await refresh(user.refreshToken), refreshTokensRoute, 200)
    expect(retry.refreshToken).toBe(first.refreshToken)
    expect(retry.accessToken).not.toBe(first.accessToken)
    expect((await me(retry.accessToken)).status).toBe(200)

    now += 2_000 // 31 s after the rotation
    vi.setSystemTime(now)
    expectError(await refresh(user.refreshToken), 401, 'UNAUTHORIZED')
    expectError(await refresh(first.refreshToken), 401, 'UNAUTHORIZED')
    expectError(await me(first.accessToken), 401, 'UNAUTHORIZED')
    const session = await dbFirst<{ revoked_reason: string }>(
      'SELECT s.revoked_reason FROM sessions s JOIN refresh_tokens t ON t.session_id = s.id WHERE t.token_hash = ?', await sha256(user.refreshToken))
    expect(session?.revoked_reason).toBe('refresh_token_reuse')
  })

  it('within the window, a token whose successor was already rotated further is reuse', async () => {
    const user = await newUser('grace')
    const first = dataOf(await refresh(user.refreshToken), refreshTokensRoute, 200)
    const second = dataOf(await refresh(first.refreshToken), refreshTokensRoute, 200)
    expectError(await refresh(user.refreshToken), 401, 'UNAUTHORIZED')
    expectError(await refresh(second.refreshToken), 401, 'UNAUTHORIZED')
    expectError(await me(second.accessToken), 401, 'UNAUTHORIZED')
  })

  it('401 for an unknown token, 400 for a missing or empty one', async () => {
    expectError(await refresh('rt_never_issued_by_this_server'), 401, 'UNAUTHORIZED')
    const user = await newUser('rt')
    // An access token is not a refresh token (it is also longer than any refresh token).
    const wrongKind = await refresh(user.accessToken)
    expect([400, 401]).toContain(wrongKind.status)
    expect(z.object({ success: z.boolean() }).parse(wrongKind.body).success).toBe(false)
    expectError(await callJson('POST', '/api/auth/refresh', {}), 400, 'VALIDATION_ERROR')
    expectError(await refresh(''), 400, 'VALIDATION_ERROR')
    expectError(await refresh(123), 400, 'VALIDATION_ERROR')
  })

  it('keeps the session lifetime: 24 h normally, 30 days with rememberMe', async () => {
    const user = await registerOnly('remember')
    const normal = dataOf(await login(user.username, user.password), loginRoute, 200)
    expect(normal.refreshExpiresIn).toBe(86_400)
    const remembered = dataOf(await login(user.username, user.password, { rememberMe: true }), loginRoute, 200)
    expect(remembered.refreshExpiresIn).toBe(2_592_000)
    const explicitFalse = dataOf(await login(user.username, user.password, { rememberMe: false }), loginRoute, 200)
    expect(explicitFalse.refreshExpiresIn).toBe(86_400)
    // Rotation keeps each session's kind.
    expect(dataOf(await refresh(normal.refreshToken), refreshTokensRoute, 200).refreshExpiresIn).toBe(86_400)
    expect(dataOf(await refresh(remembered.refreshToken), refreshTokensRoute, 200).refreshExpiresIn).toBe(2_592_000)
  })

  it('expires a session after its lifetime and slides it on each refresh', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    let now = Date.parse('2026-08-01T00:00:00Z')
    vi.setSystemTime(now)
    const user = await registerOnly('slide')
    const a = dataOf(await login(user.username, user.password), loginRoute, 200)
    const b = dataOf(await login(user.username, user.password), loginRoute, 200)

    now += 23 * 3600_000
    vi.setSystemTime(now)
    const slid = dataOf(await refresh(a.refreshToken), refreshTokensRoute, 200)

    now += 2 * 3600_000 // 25 h after sign-in: b never refreshed, a slid at 23 h
    vi.setSystemTime(now)
    expectError(await refresh(b.refreshToken), 401, 'UNAUTHORIZED')
    const again = dataOf(await refresh(slid.refreshToken), refreshTokensRoute, 200)
    expect((await me(again.accessToken)).status).toBe(200)

  })

  it('refuses a still-valid access token once its session has expired', async () => {
    const user = await newUser('sesexp')
    expect((await me(user.accessToken)).status).toBe(200)
    await dbRun('UPDATE sessions SET expires_at = ? WHERE user_id = ?', Date.now() - 1000, user.id)
    expectError(await me(user.accessToken), 401, 'UNAUTHORIZED')
  })

  it('expires a rememberMe session only after 30 days', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const start = Date.parse('2026-08-10T00:00:00Z')
    vi.setSystemTime(start)
    const user = await registerOnly('rm30')
    const remembered = dataOf(await login(user.username, user.password, { rememberMe: true }), loginRoute, 200)
    const other = dataOf(await login(user.username, user.password, { rememberMe: true }), loginRoute, 200)
    vi.setSystemTime(start + 29 * 86_400_000)
    expect((await refresh(remembered.refreshToken)).status).toBe(200)
    vi.setSystemTime(start + 30 * 86_400_000 + 1000)
    expectError(await refresh(other.refreshToken), 401, 'UNAUTHORIZED')
  })
})

describe('POST /api/auth/logout', () => {
  it('stops the current access token and refresh token at once, and only this session', async () => {
    const user = await newUser('logout')
    const other = dataOf(await login(user.username, user.password), loginRoute, 200)
    const res = await logout(user.accessToken)
    expect(dataOf(res, logoutRoute, 200)).toEqual({ loggedOut: true })
    // Nothing else in the raw answer either.
    expect(RawData.parse(res.body).data).toEqual({ loggedOut: true })

    expectError(await me(user.accessToken), 401, 'UNAUTHORIZED')
    expectError(await refresh(user.refreshToken), 401, 'UNAUTHORIZED')
    expectError(await logout(user.accessToken), 401, 'UNAUTHORIZED')
    expect((await me(other.accessToken)).status).toBe(200)
  })

  it('also ends the tokens a rotation produced in the same session', async () => {
    const user = await newUser('logout')
    const rotated = dataOf(await refresh(user.refreshToken), refreshTokensRoute, 200)
    expect((await logout(rotated.accessToken)).status).toBe(200)
    expectError(await refresh(rotated.refreshToken), 401, 'UNAUTHORIZED')
    expectError(await me(user.accessToken), 401, 'UNAUTHORIZED')
  })

  it('401 without a token', async () => {
    expectError(await callJson('POST', '/api/auth/logout'), 401, 'UNAUTHORIZED')
  })
})

describe('PUT /api/users/password and sessions', () => {
  it('keeps the current session, revokes every other one, and swaps the password', async () => {
    const user = await newUser('pwchange')
    const other = dataOf(await login(user.username, user.password), loginRoute, 200)
    const res = await callJson('PUT', '/api/users/password', { currentPassword: user.password, newPassword: 'brand-new-pass-7' }, { token: user.accessToken })
    expect(dataOf(res, changePasswordRoute, 200)).toEqual({ changed: true })
    // Nothing else in the raw answer either.
    expect(RawData.parse(res.body).data).toEqual({ changed: true })

    expect((await me(user.accessToken)).status).toBe(200)
    expect((await refresh(user.refreshToken)).status).toBe(200)
    expectError(await me(other.accessToken), 401, 'UNAUTHORIZED')
    expectError(await refresh(other.refreshToken), 401, 'UNAUTHORIZED')

    expectError(await login(user.username, user.password), 401, 'INVALID_CREDENTIALS')
    expect((await login(user.username, 'brand-new-pass-7')).status).toBe(200)
    const row = await dbFirst<{ revoked_reason: string }>('SELECT revoked_reason FROM sessions WHERE id = (SELECT id FROM sessions WHERE user_id = ? AND revoked_at IS NOT NULL)', user.id)
    expect(row?.revoked_reason).toBe('password_changed')
  })
})
