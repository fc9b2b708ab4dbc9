import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { z } from '@hono/zod-openapi'
import { getProfileRoute, updateProfileRoute } from '../../src/features/users/routes'
import { callApp, callJson, d1WithHook, dataOf, expectError, login, newUser } from '../helpers'

/** Validation details: one `{field, message}` per failing field. */
const Details = z.array(z.object({ field: z.string(), message: z.string() }))
/** The raw `data.user` object, every key kept (to prove a field absent, or to send back all of it). */
const rawUser = (body: unknown) => z.object({ data: z.object({ user: z.record(z.string(), z.unknown()) }) }).parse(body).data.user

const getProfile = (token: string) => callJson('GET', '/api/users/profile', undefined, { token })
const putProfile = (token: string, body: unknown) => callJson('PUT', '/api/users/profile', body, { token })

describe('GET /api/users/profile', () => {
  it('answers the documented fields of the caller, and nothing private', async () => {
    const user = await newUser('prof')
    const res = await getProfile(user.accessToken)
    expect(dataOf(res, getProfileRoute, 200).user).toMatchObject({ id: user.id, username: user.username, email: user.email, bio: null, website: null, location: null, avatarUrl: null })
    const profile = rawUser(res.body)
    for (const field of ['username', 'email', 'bio', 'website', 'location', 'avatarUrl']) expect(profile).toHaveProperty(field)
    for (const field of ['passwordHash', 'failedLogins', 'lockedUntil', 'avatarKey', 'wechatOpenId']) expect(profile).not.toHaveProperty(field)
  })
})

describe('PUT /api/users/profile', () => {
  it('updates bio, website and location, and GET shows the change', async () => {
    const user = await newUser('prof')
    const before = dataOf(await getProfile(user.accessToken), getProfileRoute, 200).user
    const updated = dataOf(
      await putProfile(user.accessToken, { bio: '  Film photographer  ', website: 'https://ada.example.com/portfolio', location: 'Shanghai' }),
      updateProfileRoute,
      200,
    ).user
    // Bio is trimmed.
    expect(updated).toMatchObject({ bio: 'Film photographer', website: 'https://ada.example.com/portfolio', location: 'Shanghai' })
    expect(Date.parse(updated.updatedAt)).toBeGreaterThanOrEqual(Date.parse(before.updatedAt))
    expect(dataOf(await getProfile(user.accessToken), getProfileRoute, 200).user.bio).toBe('Film photographer')
  })

  it('accepts a bio of exactly 200 characters and http:// websites', async () => {
    const user = await newUser('prof')
    const res = await putProfile(user.accessToken, { bio: 'b'.repeat(200), website: 'http://example.com' })
    expect(dataOf(res, updateProfileRoute, 200).user.bio).toHaveLength(200)
  })

  it('clears optional fields with an empty string or null, and leaves omitted fields alone', async () => {
    const user = await newUser('prof')
    await putProfile(user.accessToken, { bio: 'hello', website: 'https://a.example', location: 'Paris' })
    const res = await putProfile(user.accessToken, { bio: '', website: null })
    expect(dataOf(res, updateProfileRoute, 200).user).toMatchObject({ bio: null, website: null, location: 'Paris' })
  })

  it('ignores unknown fields, so a client can send back what it read', async () => {
    const user = await newUser('prof')
    const got = await getProfile(user.accessToken)
    const { credits } = dataOf(got, getProfileRoute, 200).user
    // Everything it read, documented or not.
    const read = rawUser(got.body)
    const res = await putProfile(user.accessToken, { ...read, avatarUrl: null, bio: 'round trip', role: 'admin', credits: 1_000_000, passwordHash: 'x' })
    // Role and credits are not profile fields: sending them must not escalate anything.
    expect(dataOf(res, updateProfileRoute, 200).user).toMatchObject({ bio: 'round trip', role: 'user', credits })
  })

  it.each([
    ['a bio of 201 characters', { bio: 'b'.repeat(201) }, 'bio'],
    ['a website that is not a URL', { website: 'not a url' }, 'website'],
    ['an ftp website', { website: 'ftp://example.com/file' }, 'website'],
    ['a javascript: website', { website: 'javascript:alert(1)' }, 'website'],
    ['a data: avatarUrl', { avatarUrl: 'data:image/png;base64,AAAA' }, 'avatarUrl'],
    ['an invalid username', { username: 'no spaces allowed' }, 'username'],
    ['a too short username', { username: 'ab' }, 'username'],
    ['an invalid email', { email: 'nope' }, 'email'],
    ['a location of 101 characters', { location: 'l'.repeat(101) }, 'location'],
    ['a bio of the wrong type', { bio: 42 }, 'bio'],
  ])('400 VALIDATION_ERROR for %s, and nothing changes', async (_name, body, field) => {
    const user = await newUser('prof')
    const before = await getProfile(user.accessToken)
    dataOf(before, getProfileRoute, 200)
    const { details } = expectError(await putProfile(user.accessToken, body), 400, 'VALIDATION_ERROR')
    expect(Details.parse(details).map((d) => d.field)).toContain(field)
    const after = await getProfile(user.accessToken)
    dataOf(after, getProfileRoute, 200)
    expect(rawUser(after.body)).toEqual(rawUser(before.body))
  })

  it('400 for an empty body (nothing to update) and for a non-object body', async () => {
    const user = await newUser('prof')
    expectError(await putProfile(user.accessToken, {}), 400, 'VALIDATION_ERROR')
    expectError(await putProfile(user.accessToken, { unknownOnly: 1 }), 400, 'VALIDATION_ERROR')
    expectError(await putProfile(user.accessToken, []), 400, 'VALIDATION_ERROR')
    expectError(await callJson('PUT', '/api/users/profile', '{', { token: user.accessToken, headers: { 'Content-Type': 'application/json' } }), 400, 'VALIDATION_ERROR')
  })

  it('changes username and email; the new ones sign in, the old ones do not', async () => {
    const user = await newUser('prof')
    const username = `${user.username.slice(0, 14)}_new`
    const res = await putProfile(user.accessToken, { username, email: `${username}@Example.org` })
    const changed = dataOf(res, updateProfileRoute, 200).user
    expect(changed.username).toBe(username)
    expect(changed.email).toBe(`${username}@example.org`.toLowerCase())
    expect((await login(username, user.password)).status).toBe(200)
    expect((await login(`${username}@example.org`, user.password)).status).toBe(200)
    expectError(await login(user.username, user.password), 401, 'INVALID_CREDENTIALS')
  })

  it('409 USER_EXISTS for a username or email taken by someone else, in any case', async () => {
    const alice = await newUser('alice')
    const bob = await newUser('bob')
    expectError(await putProfile(bob.accessToken, { username: alice.username.toUpperCase() }), 409, 'USER_EXISTS')
    expectError(await putProfile(bob.accessToken, { email: alice.email.toUpperCase() }), 409, 'USER_EXISTS')
    // Nothing of Bob's changed on conflict.
    const after = dataOf(await getProfile(bob.accessToken), getProfileRoute, 200).user
    expect(after).toMatchObject({ username: bob.username, email: bob.email })
  })

  it('answers 409, never 500, when another user takes the name between check and write', async () => {
    // Two requests can both pass the "is it free?" check before either writes; then the unique
    // index decides. The hook commits Bob's claim right before Alice's UPDATE runs, which is
    // exactly that interleaving. Registration handles it (see register.test.ts); so must this.
    const alice = await newUser('race')
    const bob = await newUser('race')
    const wanted = `${alice.username.slice(0, 12)}_won`
    const DB = d1WithHook(/^update "users" set/i, async () => {
      await env.DB.prepare('UPDATE users SET username = ? WHERE id = ?').bind(wanted.toUpperCase(), bob.id).run()
    })
    const res = await callApp({ DB }, 'PUT', '/api/users/profile', { username: wanted }, { token: alice.accessToken })
    expectError(res, 409, 'USER_EXISTS')
  })

  it('lets a user keep their own username and email, or change only their case', async () => {
    const user = await newUser('prof')
    expect((await putProfile(user.accessToken, { username: user.username, email: user.email })).status).toBe(200)
    const res = await putProfile(user.accessToken, { username: user.username.toUpperCase() })
    expect(dataOf(res, updateProfileRoute, 200).user.username).toBe(user.username.toUpperCase())
  })
})

describe('PUT /api/users/password validation', () => {
  const change = (token: string, body: unknown) => callJson('PUT', '/api/users/password', body, { token })

  it('401 INVALID_CREDENTIALS for a wrong current password, and the password stays', async () => {
    const user = await newUser('pw')
    const res = await change(user.accessToken, { currentPassword: 'wrong-pass-1', newPassword: 'new-pass-word-1' })
    expectError(res, 401, 'INVALID_CREDENTIALS')
    // The caller stays signed in: a wrong current password is not a session problem.
    expect((await getProfile(user.accessToken)).status).toBe(200)
    expect((await login(user.username, user.password)).status).toBe(200)
    expectError(await login(user.username, 'new-pass-word-1'), 401, 'INVALID_CREDENTIALS')
  })

  it.each([
    ['too short', 'abc123'],
    ['without a digit', 'only-letters-here'],
    ['without a letter', '1234567890'],
    ['over 128 characters', `a1${'x'.repeat(127)}`],
  ])('400 VALIDATION_ERROR for a new password %s', async (_name, newPassword) => {
    const user = await newUser('pw')
    const { details } = expectError(await change(user.accessToken, { currentPassword: user.password, newPassword }), 400, 'VALIDATION_ERROR')
    expect(Details.parse(details).map((d) => d.field)).toContain('newPassword')
    expect((await login(user.username, user.password)).status).toBe(200)
  })

  it('400 when the new password equals the current one, or a field is missing', async () => {
    const user = await newUser('pw')
    expectError(await change(user.accessToken, { currentPassword: user.password, newPassword: user.password }), 400, 'VALIDATION_ERROR')
    expectError(await change(user.accessToken, { newPassword: 'new-pass-word-1' }), 400, 'VALIDATION_ERROR')
    expectError(await change(user.accessToken, { currentPassword: user.password }), 400, 'VALIDATION_ERROR')
    expectError(await change(user.accessToken, {}), 400, 'VALIDATION_ERROR')
  })
})
