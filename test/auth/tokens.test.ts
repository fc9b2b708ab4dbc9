import { SignJWT, UnsecuredJWT, decodeJwt } from 'jose'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { getMeRoute } from '../../src/features/auth/routes'
import { getProfileRoute } from '../../src/features/users/routes'
import { call, callJson, dataOf, expectError, newUser, type TestUser } from '../helpers'

// The HS256 key the Worker verifies with in tests (vitest.config.ts bindings).
const SECRET = new TextEncoder().encode('test-jwt-secret-0123456789abcdef0123456789abcdef')

afterEach(() => vi.useRealTimers())

/** Claims like a real access token of `user`, taken from its own token so `sid` is live. */
function claimsOf(user: TestUser) {
  const real = decodeJwt(user.accessToken)
  return { role: real.role, name: real.name, sid: real.sid as string }
}

function forge(user: TestUser, opts: { alg?: string; key?: Uint8Array; iss?: string; aud?: string; exp?: number | string; sub?: string; sid?: string | null } = {}) {
  const claims: Record<string, unknown> = claimsOf(user)
  if (opts.sid === null) delete claims.sid
  else if (opts.sid) claims.sid = opts.sid
  return new SignJWT(claims)
    .setProtectedHeader({ alg: opts.alg ?? 'HS256', typ: 'JWT' })
    .setSubject(opts.sub ?? user.id)
    .setIssuer(opts.iss ?? 'darkroom')
    .setAudience(opts.aud ?? 'darkroom:api')
    .setIssuedAt()
    .setExpirationTime(opts.exp ?? '10m')
    .sign(opts.key ?? SECRET)
}

const me = (token: string) => callJson('GET', '/api/auth/me', undefined, { token })

describe('access tokens on protected routes', () => {
  it('accepts a token signed like the server does (control for the forgeries below)', async () => {
    // Without this, every "401 for a forged token" test could pass for the wrong reason
    // (for example if the test secret were not the one the Worker uses).
    const user = await newUser('tok')
    const res = await me(await forge(user))
    expect(dataOf(res, getMeRoute, 200).user.id).toBe(user.id)
  })

  it('issues HS256 tokens with issuer, audience, subject, session id and a 15 minute life', async () => {
    const user = await newUser('tok')
    const header = JSON.parse(atob(user.accessToken.split('.')[0]!.replace(/-/g, '+').replace(/_/g, '/')))
    expect(header.alg).toBe('HS256')
    const claims = decodeJwt(user.accessToken)
    expect(claims).toMatchObject({ iss: 'darkroom', aud: 'darkroom:api', sub: user.id })
    expect(claims.sid).toMatch(/^ses_/)
    expect(claims.exp! - claims.iat!).toBe(900)
    // Nothing secret travels in the readable payload.
    expect(JSON.stringify(claims)).not.toMatch(/pbkdf2|password|email/i)
  })

  it('401 UNAUTHORIZED without an Authorization header, or with another scheme', async () => {
    const user = await newUser('tok')
    expectError(await callJson('GET', '/api/auth/me'), 401, 'UNAUTHORIZED')
    expectError(await callJson('GET', '/api/auth/me', undefined, { headers: { Authorization: `Basic ${btoa('a:b')}` } }), 401, 'UNAUTHORIZED')
    expectError(await callJson('GET', '/api/auth/me', undefined, { headers: { Authorization: user.accessToken } }), 401, 'UNAUTHORIZED')
    expectError(await callJson('GET', '/api/auth/me', undefined, { headers: { Authorization: 'Bearer' } }), 401, 'UNAUTHORIZED')
  })

  it.each([
    ['garbage', 'not-a-jwt'],
    ['two segments', 'abc.def'],
    ['bad base64 in three segments', '###.###.###'],
    ['a refresh token used as access token', 'rt_abcdefghijklmnopqrstuvwxyz'],
  ])('401 UNAUTHORIZED for a malformed token: %s', async (_name, token) => {
    expectError(await me(token), 401, 'UNAUTHORIZED')
  })

  it('401 for a token whose signature was tampered with or signed by another key', async () => {
    const user = await newUser('tok')
    const [h, p, s] = user.accessToken.split('.')
    const flipped = `${h}.${p}.${s!.startsWith('A') ? 'B' : 'A'}${s!.slice(1)}`
    expectError(await me(flipped), 401, 'UNAUTHORIZED')
    // Payload changed (role escalated) but signature kept.
    const payload = JSON.parse(atob(p!.replace(/-/g, '+').replace(/_/g, '/')))
    const escalated = btoa(JSON.stringify({ ...payload, role: 'admin' })).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')
    expectError(await me(`${h}.${escalated}.${s}`), 401, 'UNAUTHORIZED')
    const otherKey = new TextEncoder().encode('another-secret-0123456789abcdef0123456789')
    expectError(await me(await forge(user, { key: otherKey })), 401, 'UNAUTHORIZED')
  })

  it('401 for `alg: none`, with or without a signature', async () => {
    const user = await newUser('tok')
    const unsecured = new UnsecuredJWT({ ...claimsOf(user) })
      .setSubject(user.id).setIssuer('darkroom').setAudience('darkroom:api').setIssuedAt().setExpirationTime('10m')
      .encode()
    expect(unsecured.split('.')[2]).toBe('')
    expectError(await me(unsecured), 401, 'UNAUTHORIZED')
    // The same header and payload with the real signature appended still says `none`.
    const realSig = user.accessToken.split('.')[2]
    expectError(await me(`${unsecured}${realSig}`), 401, 'UNAUTHORIZED')
  })

  it('401 for an HS512 token signed with the right secret (only HS256 is allowed)', async () => {
    const user = await newUser('tok')
    expectError(await me(await forge(user, { alg: 'HS512' })), 401, 'UNAUTHORIZED')
    expectError(await me(await forge(user, { alg: 'HS384' })), 401, 'UNAUTHORIZED')
  })

  it('401 for a wrong issuer or audience', async () => {
    const user = await newUser('tok')
    expectError(await me(await forge(user, { iss: 'someone-else' })), 401, 'UNAUTHORIZED')
    expectError(await me(await forge(user, { aud: 'other:api' })), 401, 'UNAUTHORIZED')
  })

  it('401 for an expired token, forged or real', async () => {
    const user = await newUser('tok')
    const past = Math.floor(Date.now() / 1000) - 60
    const forged = expectError(await me(await forge(user, { exp: past })), 401, 'UNAUTHORIZED')
    expect(forged.error).toMatch(/expired/i)
    // A real token 15 minutes and one second after issue (the Worker reads this fake clock).
    vi.useFakeTimers({ toFake: ['Date'] })
    const iat = decodeJwt(user.accessToken).iat!
    vi.setSystemTime((iat + 899) * 1000)
    expect((await me(user.accessToken)).status).toBe(200)
    vi.setSystemTime((iat + 901) * 1000)
    expectError(await me(user.accessToken), 401, 'UNAUTHORIZED')
  })

  it('401 for a validly signed token without a session id, or for another user\'s session', async () => {
    // Only a leaked JWT_SECRET could produce these; the session check must still hold.
    const alice = await newUser('tok')
    const bob = await newUser('tok')
    expectError(await me(await forge(alice, { sid: null })), 401, 'UNAUTHORIZED')
    expectError(await me(await forge(alice, { sid: 'ses_does_not_exist' })), 401, 'UNAUTHORIZED')
    // Alice's subject with Bob's live session must not authenticate as either of them.
    expectError(await me(await forge(alice, { sid: claimsOf(bob).sid })), 401, 'UNAUTHORIZED')
    expectError(await me(await forge(alice, { sub: 'usr_nobody' })), 401, 'UNAUTHORIZED')
  })

  it('guards every authenticated route the same way', async () => {
    // The same middleware protects every route; check each one so none is left unguarded.
    const user = await newUser('tok')
    const none = new UnsecuredJWT({ ...claimsOf(user) })
      .setSubject(user.id).setIssuer('darkroom').setAudience('darkroom:api').setIssuedAt().setExpirationTime('10m').encode()
    const bad: Array<[string, string | undefined]> = [
      ['no token', undefined],
      ['garbage', 'not-a-jwt'],
      ['expired', await forge(user, { exp: Math.floor(Date.now() / 1000) - 5 })],
      ['HS512', await forge(user, { alg: 'HS512' })],
      ['alg none', none],
      ['wrong audience', await forge(user, { aud: 'elsewhere' })],
    ]
    const routes: Array<[string, string, unknown?]> = [
      ['GET', '/api/auth/me'],
      ['POST', '/api/auth/logout'],
      ['GET', '/api/users/profile'],
      ['PUT', '/api/users/profile', { bio: 'x' }],
      ['PUT', '/api/users/password', { currentPassword: 'secret-pass-1', newPassword: 'other-pass-2' }],
      ['POST', '/api/users/avatar', new FormData()],
      ['GET', '/api/users/stats'],
    ]
    for (const [method, path, body] of routes) {
      for (const [name, token] of bad) {
        const res = await call(method, path, body, token ? { token } : {})
        expect(res.status, `${method} ${path} with ${name}`).toBe(401)
        expectError({ status: res.status, body: await res.json(), res }, 401, 'UNAUTHORIZED')
      }
    }
    // None of those attempts changed anything: the real token still works and the bio is unset.
    const profile = await callJson('GET', '/api/users/profile', undefined, { token: user.accessToken })
    expect(dataOf(profile, getProfileRoute, 200).user.bio).toBeNull()
  })
})
