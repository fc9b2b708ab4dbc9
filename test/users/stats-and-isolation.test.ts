import { SignJWT, decodeJwt } from 'jose'
import { describe, expect, it } from 'vitest'
import { z } from '@hono/zod-openapi'
import { getMeRoute, refreshTokensRoute } from '../../src/features/auth/routes'
import { getProfileRoute, getUserStatsRoute, updateProfileRoute, uploadAvatarRoute } from '../../src/features/users/routes'
import { call, callJson, dataOf, expectError, login, newUser, registerOnly } from '../helpers'
import { formWith, makePng } from '../support/images'

const SECRET = new TextEncoder().encode('test-jwt-secret-0123456789abcdef0123456789abcdef')

describe('GET /api/users/stats', () => {
  it('answers the documented counters as integers', async () => {
    const user = await newUser('stats')
    const res = await callJson('GET', '/api/users/stats', undefined, { token: user.accessToken })
    dataOf(res, getUserStatsRoute, 200)
    // The raw answer, every key kept: exactly the documented counters.
    const body = z.object({ success: z.boolean(), data: z.record(z.string(), z.unknown()) }).parse(res.body)
    expect(body.success).toBe(true)
    expect(Object.keys(body.data).sort()).toEqual([
      'creditsSpent', 'followersCount', 'followingCount', 'likes', 'monthlyWorks', 'publicWorks', 'tasks', 'totalLikes',
      'totalViews', 'totalWorks', 'views', 'weeklyViews', 'works',
    ])
    for (const value of Object.values(body.data)) {
      expect(Number.isInteger(value)).toBe(true)
      expect(z.number().parse(value)).toBeGreaterThanOrEqual(0)
    }
    // A brand-new account has done nothing yet.
    expect(Object.values(body.data).every((v) => v === 0)).toBe(true)
  })

  it('401 without a token', async () => {
    expectError(await callJson('GET', '/api/users/stats'), 401, 'UNAUTHORIZED')
  })
})

describe('one user cannot read or change another user\'s account', () => {
  it('every /me-style route answers for the caller only', async () => {
    const alice = await newUser('alice')
    const bob = await newUser('bob')
    const asBob = { token: bob.accessToken }
    expect(dataOf(await callJson('GET', '/api/auth/me', undefined, asBob), getMeRoute, 200).user.id).toBe(bob.id)
    expect(dataOf(await callJson('GET', '/api/users/profile', undefined, asBob), getProfileRoute, 200).user.id).toBe(bob.id)

    // Bob edits "a profile": only his own changes, even if he names Alice in the body.
    const put = await callJson('PUT', '/api/users/profile', { id: alice.id, userId: alice.id, bio: 'bob was here' }, asBob)
    expect(dataOf(put, updateProfileRoute, 200).user.id).toBe(bob.id)
    const aliceProfile = dataOf(await callJson('GET', '/api/users/profile', undefined, { token: alice.accessToken }), getProfileRoute, 200).user
    expect(aliceProfile.bio).toBeNull()

    // Bob's avatar upload lands on Bob.
    const up = await callJson('POST', '/api/users/avatar', formWith('avatar', [{ bytes: await makePng(9, 9), name: 'a.png' }], { userId: alice.id }), asBob)
    expect(dataOf(up, uploadAvatarRoute, 200).user.avatarUrl).toContain(bob.id)
    expectError(await callJson('GET', `/api/users/${alice.id}/avatar`), 404, 'NOT_FOUND')
  })

  it('Bob cannot change Alice\'s password, and his change touches only his account', async () => {
    const alice = await registerOnly('alice', 'alice-pass-42')
    const bob = await newUser('bob')
    // Bob sends Alice's current password: it is checked against Bob's account and fails.
    const res = await callJson('PUT', '/api/users/password', { currentPassword: alice.password, newPassword: 'stolen-pass-9', userId: alice.id }, { token: bob.accessToken })
    expectError(res, 401, 'INVALID_CREDENTIALS')
    expectError(await login(alice.username, 'stolen-pass-9'), 401, 'INVALID_CREDENTIALS')
    // A successful change by Bob, naming Alice in the body, touches Bob only.
    const ok = await callJson('PUT', '/api/users/password', { currentPassword: bob.password, newPassword: 'bob-new-pass-3', userId: alice.id }, { token: bob.accessToken })
    expect(ok.status).toBe(200)
    expect((await login(alice.username, alice.password)).status).toBe(200)
    expect((await login(bob.username, 'bob-new-pass-3')).status).toBe(200)
  })

  it('Bob cannot end Alice\'s session or use her refresh token to act as himself', async () => {
    const alice = await newUser('alice')
    const bob = await newUser('bob')
    expect((await callJson('POST', '/api/auth/logout', { sessionId: decodeJwt(alice.accessToken).sid }, { token: bob.accessToken })).status).toBe(200)
    expect((await callJson('GET', '/api/auth/me', undefined, { token: alice.accessToken })).status).toBe(200)
    // Refreshing Alice's token yields Alice, never Bob: a refresh token is bound to its session.
    const refreshed = await callJson('POST', '/api/auth/refresh', { refreshToken: alice.refreshToken })
    expect(dataOf(refreshed, refreshTokensRoute, 200).user.id).toBe(alice.id)
  })

  it('a token that claims Alice as subject but carries Bob\'s session is refused', async () => {
    // Only possible with the signing key; the session check is the last line of defence.
    const alice = await newUser('alice')
    const bob = await newUser('bob')
    const forged = await new SignJWT({ role: 'user', name: alice.username, sid: decodeJwt(bob.accessToken).sid })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(alice.id).setIssuer('darkroom').setAudience('darkroom:api').setIssuedAt().setExpirationTime('5m')
      .sign(SECRET)
    expectError(await callJson('GET', '/api/users/profile', undefined, { token: forged }), 401, 'UNAUTHORIZED')
  })

  it('another user\'s account is only visible as the public profile (no email, no credits); the avatar is public by design', async () => {
    const alice = await newUser('alice')
    const bob = await newUser('bob')
    for (const path of [`/api/users/${alice.id}/profile`, `/api/users/${alice.id}/stats`]) {
      const res = await callJson('GET', path, undefined, { token: bob.accessToken })
      expectError(res, 404, 'NOT_FOUND')
      expect(JSON.stringify(res.body)).not.toContain(alice.email)
    }
    // GET /api/users/:id is the public profile (works/social): public fields only.
    const publicProfile = await callJson('GET', `/api/users/${alice.id}`, undefined, { token: bob.accessToken })
    expect(publicProfile.status).toBe(200)
    expect(JSON.stringify(publicProfile.body)).not.toContain(alice.email)
    expect(JSON.stringify(publicProfile.body)).not.toMatch(/"(email|credits|role)"/)
    await callJson('POST', '/api/users/avatar', formWith('avatar', [{ bytes: await makePng(9, 9), name: 'a.png' }]), { token: alice.accessToken })
    const avatar = await call('GET', `/api/users/${alice.id}/avatar`)
    expect(avatar.status).toBe(200)
    // Only bytes: no account data travels with the public avatar.
    expect(avatar.headers.get('Content-Type')).toBe('image/webp')
  })
})
