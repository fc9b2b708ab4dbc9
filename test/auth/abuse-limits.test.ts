import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { callJson, dbFirst, dbRun, expectError, freshIp, login, registerOnly } from '../helpers'

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

describe('login rate limit: 5 attempts per minute per account', () => {
  it('answers the 6th attempt on one account from many IPs with 429', async () => {
    const user = await registerOnly('acctlimit')
    for (let i = 0; i < 5; i++) expectError(await login(user.username, `wrong-pass-${i}`), 401, 'INVALID_CREDENTIALS')
    const limited = await login(user.username, user.password)
    expectError(limited, 429, 'RATE_LIMITED')
    expect(Number(limited.res.headers.get('Retry-After'))).toBeGreaterThan(0)
    expect(Number(limited.res.headers.get('Retry-After'))).toBeLessThanOrEqual(60)
    // Case does not make it a different account.
    expectError(await login(user.username.toUpperCase(), user.password), 429, 'RATE_LIMITED')
    advance(60_000)
    expect((await login(user.username, user.password)).status).toBe(200)
  })

  it('counts attempts by username and by email against the same account', async () => {
    // An account is one account whichever identifier names it: alternating username and email
    // must not double the guesses an attacker gets per minute.
    const user = await registerOnly('acctmix')
    for (let i = 0; i < 3; i++) await login(user.username, `wrong-pass-${i}`)
    for (let i = 0; i < 2; i++) await login(user.email, `wrong-pass-${i}`)
    const sixth = await login(user.email, 'wrong-pass-9')
    expectError(sixth, 429, 'RATE_LIMITED')
  })
})

describe('lockout after 10 consecutive failures', () => {
  it('locks on the 10th failure with 423 and Retry-After, even for the right password, for 15 minutes', async () => {
    const user = await registerOnly('lockout')
    // 5 failures per minute is all the rate limit allows, so spread the 10 over two minutes.
    for (let i = 1; i <= 10; i++) {
      if (i === 6) advance(60_000)
      const res = await login(user.username, `wrong-pass-${i}`)
      if (i < 10) expectError(res, 401, 'INVALID_CREDENTIALS')
      else {
        // The attempt that locks already answers 423.
        expectError(res, 423, 'ACCOUNT_LOCKED')
        expect(res.res.headers.get('Retry-After')).toBe('900')
        expect(Date.parse(res.body.details.lockedUntil)).toBe(now + 15 * 60_000)
      }
    }
    advance(60_000)
    const locked = await login(user.username, user.password)
    expectError(locked, 423, 'ACCOUNT_LOCKED')
    expect(locked.res.headers.get('Retry-After')).toBe('840')
    // By email too: the lock belongs to the account, not to the identifier.
    expectError(await login(user.email, user.password), 423, 'ACCOUNT_LOCKED')

    advance(13 * 60_000 + 59_000) // one second before the end of the lock
    expectError(await login(user.username, user.password), 423, 'ACCOUNT_LOCKED')
    advance(1_000)
    const ok = await login(user.username, user.password)
    expect(ok.status, JSON.stringify(ok.body)).toBe(200)
    const row = await dbFirst<{ failed_logins: number; locked_until: number | null }>(
      'SELECT failed_logins, locked_until FROM users WHERE id = ?', user.id)
    expect(row).toEqual({ failed_logins: 0, locked_until: null })
  })

  it('does not lock on failures that are not consecutive: a success resets the count', async () => {
    const user = await registerOnly('reset')
    await dbRun('UPDATE users SET failed_logins = 9 WHERE id = ?', user.id)
    expect((await login(user.username, user.password)).status).toBe(200)
    expect((await dbFirst<{ failed_logins: number }>('SELECT failed_logins FROM users WHERE id = ?', user.id))?.failed_logins).toBe(0)
    // Nine fresh failures after the success are still below the threshold.
    for (let i = 1; i <= 9; i++) {
      if (i === 5) advance(60_000)
      expectError(await login(user.username, `wrong-pass-${i}`), 401, 'INVALID_CREDENTIALS')
    }
    advance(60_000)
    expect((await login(user.username, user.password)).status).toBe(200)
  })

  it('counts each failure in D1 and locks when the stored count reaches 10', async () => {
    const user = await registerOnly('count')
    await login(user.username, 'wrong-pass-1')
    await login(user.username, 'wrong-pass-2')
    expect((await dbFirst<{ failed_logins: number }>('SELECT failed_logins FROM users WHERE id = ?', user.id))?.failed_logins).toBe(2)
    await dbRun('UPDATE users SET failed_logins = 9 WHERE id = ?', user.id)
    expectError(await login(user.username, 'wrong-pass-3'), 423, 'ACCOUNT_LOCKED')
    const row = await dbFirst<{ locked_until: number }>('SELECT locked_until FROM users WHERE id = ?', user.id)
    expect(row?.locked_until).toBe(now + 15 * 60_000)
  })

  it('locks admin login as well', async () => {
    const admin = await registerOnly('lockadm')
    await dbRun("UPDATE users SET role = 'admin', locked_until = ? WHERE id = ?", now + 5 * 60_000, admin.id)
    const res = await callJson('POST', '/api/auth/admin/login', { login: admin.username, password: admin.password })
    expectError(res, 423, 'ACCOUNT_LOCKED')
    expect(res.res.headers.get('Retry-After')).toBe('300')
  })

  it('never answers 423 for an unknown account (no account enumeration)', async () => {
    for (let i = 1; i <= 12; i++) {
      if (i % 5 === 0) advance(60_000)
      expectError(await login('no_such_user_x', `wrong-pass-${i}`), 401, 'INVALID_CREDENTIALS')
    }
  })
})
