import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { z } from '@hono/zod-openapi'
import { loginRoute } from '../../src/features/auth/routes'
import { callJson, dataOf, dbFirst, dbRun, expectError, freshIp, login, newUser, registerOnly } from '../helpers'

// Every limit here is a fixed window or a lock measured with Date.now() inside the Worker, which
// runs in this isolate: a fake Date makes windows deterministic and lets 15 minutes pass at once.
let now: number
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] })
  // One second into a minute (and 10 minutes into an hour): no window rolls over by accident.
  now = Date.parse('2026-07-01T08:10:01Z')
  vi.setSystemTime(now)
})
afterEach(() => vi.useRealTimers())

function advance(ms: number) {
  now += ms
  vi.setSystemTime(now)
}

describe('login rate limit: 5 attempts per minute per IP', () => {
  it('answers the 6th attempt from one IP with 429 and Retry-After, even with the right password', async () => {
    const user = await registerOnly('iplimit')
    const ip = freshIp()
    // Attempts count whatever they are for: unknown accounts and wrong passwords alike.
    for (let i = 0; i < 5; i++) {
      const res = await login(`ghost_${i}`, 'wrong-pass-1', {}, { ip })
      expectError(res, 401, 'INVALID_CREDENTIALS')
    }
    const limited = await login(user.username, user.password, {}, { ip })
    expectError(limited, 429, 'RATE_LIMITED')
    expect(limited.res.headers.get('Retry-After')).toBe('59')
    // Another IP is not limited.
    expect((await login(user.username, user.password)).status).toBe(200)
    // The next window lets the IP in again.
    advance(60_000)
    expect((await login(user.username, user.password, {}, { ip })).status).toBe(200)
  })

  it('applies to admin login too', async () => {
    const ip = freshIp()
    for (let i = 0; i < 5; i++) await callJson('POST', '/api/auth/admin/login', { login: `ghost_${i}`, password: 'x' }, { ip })
    expectError(await callJson('POST', '/api/auth/admin/login', { login: 'ghost', password: 'x' }, { ip }), 429, 'RATE_LIMITED')
  })
})

/** Backoff after the n-th consecutive failure of one account from one network (seconds). */
const BACKOFF = { 4: 30, 5: 60, 6: 120, 7: 240, 8: 480, 9: 900, 10: 900, 11: 900 } as Record<number, number>

describe('failures are counted per account AND network: strangers cannot lock the owner out', () => {
  it('holds back the guessing network with a growing Retry-After; the owner signs in from anywhere else', async () => {
    const user = await registerOnly('stranger')
    const home = freshIp()
    expect((await login(user.username, user.password, {}, { ip: home })).status).toBe(200)
    const attacker = freshIp()
    for (let i = 1; i <= 4; i++) expectError(await login(user.username, `wrong-pass-${i}`, {}, { ip: attacker }), 401, 'INVALID_CREDENTIALS')
    // The 4th failure started a 30 s backoff for this account from this network: even the right
    // password waits (nothing is checked, so nothing is learned).
    const held = await login(user.username, user.password, {}, { ip: attacker })
    expectError(held, 429, 'RATE_LIMITED')
    expect(held.res.headers.get('Retry-After')).toBe('30')
    // The owner: from the known network, from a never-seen one, by email.
    expect((await login(user.username, user.password, {}, { ip: home })).status).toBe(200)
    expect((await login(user.email, user.password)).status).toBe(200)
  })

  it('doubles the backoff up to 15 minutes, answers 423 from the 10th failure, and never locks for good', async () => {
    const user = await registerOnly('backoff')
    const ip = freshIp()
    for (let n = 1; n <= 11; n++) {
      const res = await login(user.username, `wrong-pass-${n}`, {}, { ip })
      if (n < 10) expectError(res, 401, 'INVALID_CREDENTIALS')
      else {
        const { details } = expectError(res, 423, 'ACCOUNT_LOCKED')
        expect(res.res.headers.get('Retry-After')).toBe('900')
        expect(Date.parse(z.object({ lockedUntil: z.string() }).parse(details).lockedUntil)).toBe(now + 900_000)
      }
      if (n < 4) continue
      const probe = await login(user.username, user.password, {}, { ip })
      expectError(probe, n >= 10 ? 423 : 429, n >= 10 ? 'ACCOUNT_LOCKED' : 'RATE_LIMITED')
      expect(probe.res.headers.get('Retry-After'), `after failure ${n}`).toBe(String(BACKOFF[n]))
      // Whole minutes: every step starts in a fresh per-network minute window.
      advance(Math.max(60, BACKOFF[n]!) * 1000)
    }
    // The lock ended by itself: the right password gets in and clears the count.
    expect((await login(user.username, user.password, {}, { ip })).status).toBe(200)
    expect(await dbFirst('SELECT failures, blocked_until FROM login_networks WHERE subject = ?', user.id)).toEqual({ failures: 0, blocked_until: null })
  })

  it('counts username and email of one account together, and IPv6 addresses of one /64 as one network', async () => {
    const user = await registerOnly('acctmix')
    const ips = ['2001:db8:7:1::1', '2001:db8:7:1::2', '2001:db8:7:1:ffff::9', '2001:0db8:0007:0001::abcd']
    for (let i = 0; i < 4; i++) expectError(await login(i % 2 ? user.email : user.username, `wrong-pass-${i}`, {}, { ip: ips[i] }), 401, 'INVALID_CREDENTIALS')
    expectError(await login(user.username, user.password, {}, { ip: '2001:db8:7:1::77' }), 429, 'RATE_LIMITED')
    // The next /64 is another network.
    expect((await login(user.username, user.password, {}, { ip: '2001:db8:7:2::1' })).status).toBe(200)
  })

  it('a success from the network resets its count', async () => {
    const user = await registerOnly('reset')
    const ip = freshIp()
    for (let i = 1; i <= 3; i++) await login(user.username, `wrong-pass-${i}`, {}, { ip })
    expect((await login(user.username, user.password, {}, { ip })).status).toBe(200)
    advance(60_000)
    for (let i = 1; i <= 3; i++) expectError(await login(user.username, `wrong-pass-${i}`, {}, { ip }), 401, 'INVALID_CREDENTIALS')
    expect((await login(user.username, user.password, {}, { ip })).status).toBe(200)
  })

  it('under attack (20 failures in 15 minutes) unknown networks get no free attempts and share 10 a minute; known networks are unaffected', async () => {
    const user = await registerOnly('attack')
    const home = freshIp()
    expect((await login(user.username, user.password, {}, { ip: home })).status).toBe(200)
    for (let bot = 0; bot < 5; bot++) {
      const ip = freshIp()
      for (let i = 0; i < 4; i++) await login(user.username, `wrong-pass-${i}`, {}, { ip })
    }
    // A never-seen network with the right password still gets in at once (slowed, never locked)...
    expect((await login(user.username, user.password)).status).toBe(200)
    // ...but a new guessing network is held back after its first failure.
    const bot = freshIp()
    expectError(await login(user.username, 'wrong-pass-x', {}, { ip: bot }), 401, 'INVALID_CREDENTIALS')
    const held = await login(user.username, user.password, {}, { ip: bot })
    expectError(held, 429, 'RATE_LIMITED')
    expect(held.res.headers.get('Retry-After')).toBe('30')
    // Unknown networks share 10 attempts a minute: 2 used above, 8 more, then the 11th waits.
    for (let i = 0; i < 8; i++) await login(user.username, `wrong-pass-${i}`)
    const slowed = await login(user.username, user.password)
    expectError(slowed, 429, 'RATE_LIMITED')
    expect(Number(slowed.res.headers.get('Retry-After'))).toBeLessThanOrEqual(60)
    // The known network does not wait at all.
    expect((await login(user.username, user.password, {}, { ip: home })).status).toBe(200)
    advance(60_000)
    expect((await login(user.username, user.password)).status).toBe(200)
  })

  it('answers an unknown login exactly like a known account (no account enumeration)', async () => {
    const user = await registerOnly('enum')
    const sequence = async (name: string) => {
      const ip = freshIp()
      const statuses: number[] = []
      for (let i = 1; i <= 10; i++) {
        statuses.push((await login(name, `wrong-pass-${i}`, {}, { ip })).status)
        statuses.push((await login(name, `wrong-pass-x`, {}, { ip })).status)
        advance(BACKOFF[i] ? Math.max(60, BACKOFF[i]!) * 1000 : 60_000)
      }
      return statuses
    }
    const known = await sequence(user.username)
    const unknown = await sequence('no_such_user_x')
    expect(unknown).toEqual(known)
    expect(known).toContain(429)
    expect(known).toContain(423)
  })

  it('protects admin login the same way', async () => {
    const admin = await registerOnly('lockadm')
    await dbRun("UPDATE users SET role = 'admin' WHERE id = ?", admin.id)
    const ip = freshIp()
    for (let i = 1; i <= 4; i++) {
      expectError(await callJson('POST', '/api/auth/admin/login', { login: admin.username, password: `wrong-${i}` }, { ip }), 401, 'INVALID_CREDENTIALS')
    }
    const res = await callJson('POST', '/api/auth/admin/login', { login: admin.username, password: admin.password }, { ip })
    expectError(res, 429, 'RATE_LIMITED')
    expect(res.res.headers.get('Retry-After')).toBe('30')
    // Login and admin login share the budget.
    expectError(await login(admin.username, admin.password, {}, { ip }), 429, 'RATE_LIMITED')
    expect((await callJson('POST', '/api/auth/admin/login', { login: admin.username, password: admin.password })).status).toBe(200)
  })
})

describe('PUT /api/users/password shares the sign-in budget', () => {
  it('a stolen access token cannot guess the current password without end', async () => {
    const user = await newUser('pwguess')
    const ip = freshIp()
    const change = (currentPassword: string) =>
      callJson('PUT', '/api/users/password', { currentPassword, newPassword: 'brand-new-pass-9' }, { token: user.accessToken, ip })
    for (let i = 1; i <= 3; i++) expectError(await change(`wrong-pass-${i}`), 401, 'INVALID_CREDENTIALS')
    // The 4th failure, by the login form from the same network, starts the backoff for both paths.
    expectError(await login(user.username, 'wrong-pass-4', {}, { ip }), 401, 'INVALID_CREDENTIALS')
    const held = await change(user.password)
    expectError(held, 429, 'RATE_LIMITED')
    expect(held.res.headers.get('Retry-After')).toBe('30')
    expectError(await login(user.username, user.password, {}, { ip }), 429, 'RATE_LIMITED')
    advance(60_000)
    const ok = await change(user.password)
    expect(ok.status, JSON.stringify(ok.body)).toBe(200)
  })

  it('counts towards 423 like sign-in', async () => {
    const user = await newUser('pwlock')
    const ip = freshIp()
    for (let n = 1; n <= 10; n++) {
      // A fresh access token each time (the backoff outlasts one), signed in from elsewhere.
      const token = dataOf(await login(user.username, user.password), loginRoute, 200).accessToken
      const res = await callJson('PUT', '/api/users/password', { currentPassword: `wrong-${n}`, newPassword: 'brand-new-pass-9' }, { token, ip })
      if (n < 10) expectError(res, 401, 'INVALID_CREDENTIALS')
      else expectError(res, 423, 'ACCOUNT_LOCKED')
      if (BACKOFF[n]) advance(Math.max(60, BACKOFF[n]!) * 1000)
    }
  })
})
