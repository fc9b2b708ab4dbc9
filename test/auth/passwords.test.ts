import { afterEach, describe, expect, it, vi } from 'vitest'
import { PBKDF2_ITERATIONS, hashPassword, verifyPassword } from '../../src/lib/passwords'
import { callJson, dbFirst, dbRun, login, newUser, registerOnly } from '../helpers'

// Production Workers refuse PBKDF2 above 100,000 iterations, but local workerd does not: a
// higher count would pass every local test and then fail every sign-in in production. So the
// cap is asserted here, on the parameters actually handed to WebCrypto.
const WORKERS_PBKDF2_CAP = 100_000

afterEach(() => vi.restoreAllMocks())

/** Records the iteration count of every PBKDF2 derivation in this isolate (tests and Worker). */
function spyOnPbkdf2() {
  const iterations: number[] = []
  const original = crypto.subtle.deriveBits.bind(crypto.subtle)
  type Algorithm = Parameters<typeof crypto.subtle.deriveBits>[0]
  vi.spyOn(crypto.subtle, 'deriveBits').mockImplementation(((algorithm: Algorithm, key: CryptoKey, length: number) => {
    const params = algorithm as { name?: string; iterations?: number }
    if (params.name === 'PBKDF2') iterations.push(params.iterations ?? Number.NaN)
    return original(algorithm, key, length)
  }) as typeof crypto.subtle.deriveBits)
  return iterations
}

describe('PBKDF2 password hashing', () => {
  it('hashes with exactly the production cap of 100,000 iterations, never more', async () => {
    expect(PBKDF2_ITERATIONS).toBeLessThanOrEqual(WORKERS_PBKDF2_CAP)
    const iterations = spyOnPbkdf2()
    await hashPassword('secret-pass-1')
    expect(iterations).toEqual([WORKERS_PBKDF2_CAP])
  })

  it('stores algorithm, iterations, salt and hash in the documented format', async () => {
    const stored = await hashPassword('secret-pass-1')
    const [algorithm, iterations, salt, hash, ...rest] = stored.split('$')
    expect(algorithm).toBe('pbkdf2_sha256')
    expect(Number(iterations)).toBe(100_000)
    expect(atob(salt!).length).toBe(16)
    expect(atob(hash!).length).toBe(32)
    expect(rest).toEqual([])
    // A random salt: the same password never hashes the same twice.
    expect(await hashPassword('secret-pass-1')).not.toBe(stored)
  })

  it('refuses to hash above the cap', async () => {
    await expect(hashPassword('secret-pass-1', WORKERS_PBKDF2_CAP + 1)).rejects.toThrow(/cap/i)
  })

  it('verifies its own hashes and rejects wrong passwords', async () => {
    const stored = await hashPassword('secret-pass-1')
    expect(await verifyPassword('secret-pass-1', stored)).toEqual({ valid: true, needsRehash: false })
    expect(await verifyPassword('secret-pass-2', stored)).toEqual({ valid: false, needsRehash: false })
    expect(await verifyPassword('', stored)).toEqual({ valid: false, needsRehash: false })
    expect(await verifyPassword('Secret-pass-1', stored)).toEqual({ valid: false, needsRehash: false })
  })

  it('verifies a hash with fewer iterations and reports that it needs a rehash', async () => {
    const old = await hashPassword('secret-pass-1', 1_000)
    expect(old.split('$')[1]).toBe('1000')
    expect(await verifyPassword('secret-pass-1', old)).toEqual({ valid: true, needsRehash: true })
    // A wrong password is never "needs rehash".
    expect(await verifyPassword('wrong-pass-1', old)).toEqual({ valid: false, needsRehash: false })
  })

  it('rejects stored values it cannot trust without throwing', async () => {
    const good = await hashPassword('secret-pass-1')
    const [, , salt, hash] = good.split('$')
    for (const stored of [
      '',
      'secret-pass-1',
      `bcrypt$100000$${salt}$${hash}`,
      `pbkdf2_sha256$abc$${salt}$${hash}`,
      `pbkdf2_sha256$0$${salt}$${hash}`,
      // Above the cap would fail in production; it must not be derived at all.
      `pbkdf2_sha256$200000$${salt}$${hash}`,
      `pbkdf2_sha256$100000$$${hash}`,
      `pbkdf2_sha256$100000$${salt}$`,
    ]) {
      expect(await verifyPassword('secret-pass-1', stored), stored).toEqual({ valid: false, needsRehash: false })
    }
  })

  it('upgrades a low-iteration hash on the next successful sign-in', async () => {
    const user = await registerOnly('rehash')
    const old = await hashPassword(user.password, 1_000)
    await dbRun('UPDATE users SET password_hash = ? WHERE id = ?', old, user.id)
    // A wrong password must not rewrite anything.
    expect((await login(user.username, 'wrong-pass-1')).status).toBe(401)
    expect((await dbFirst<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = ?', user.id))?.password_hash).toBe(old)

    expect((await login(user.username, user.password)).status).toBe(200)
    const upgraded = (await dbFirst<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = ?', user.id))!.password_hash
    expect(upgraded).not.toBe(old)
    expect(upgraded).toMatch(/^pbkdf2_sha256\$100000\$/)
    expect(await verifyPassword(user.password, upgraded)).toEqual({ valid: true, needsRehash: false })
    expect((await login(user.username, user.password)).status).toBe(200)
  })

  it('never derives above the cap anywhere in the account flows of the Worker', async () => {
    // The Worker shares this isolate, so the spy sees its WebCrypto calls too.
    const iterations = spyOnPbkdf2()
    const user = await newUser('cap') // register + login
    await login('unknown_user_cap', 'wrong-pass-1') // the timing-equalising dummy check
    await login(user.username, 'wrong-pass-1')
    await callJson('PUT', '/api/users/password', { currentPassword: user.password, newPassword: 'new-pass-word-2' }, { token: user.accessToken })
    expect(iterations.length).toBeGreaterThanOrEqual(6)
    expect(Math.max(...iterations)).toBeLessThanOrEqual(WORKERS_PBKDF2_CAP)
    // Unknown accounts cost the same work as known ones (no timing oracle).
    expect(new Set(iterations)).toEqual(new Set([WORKERS_PBKDF2_CAP]))
  })
})
