import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { updateUser } from '../../src/features/admin/users'
import { dbFirst, dbRun, newUser } from '../helpers'
import { creditsOf, expectLedgerMatchesBalance, makeAdmin } from '../support/generation'

// Races found in review: each is played deterministically at the service level.
describe('account changes under races', () => {
  it('enabling revokes a session that began while the account was disabled (a sign-in that raced the disabling)', async () => {
    const admin = await newUser('racead')
    await makeAdmin(admin.id)
    const user = await newUser('racer')
    await updateUser(env, admin.id, user.id, { isActive: false, reason: 'abuse' })
    // The racing sign-in: it read the user before the disable, and inserted its session after it.
    await dbRun(
      'INSERT INTO sessions (id, user_id, remember_me, created_at, expires_at) VALUES (?1, ?2, 0, ?3, ?4)',
      'ses_raced', user.id, Date.now(), Date.now() + 86_400_000,
    )
    await updateUser(env, admin.id, user.id, { isActive: true })
    expect(await dbFirst<{ revoked_reason: string | null }>('SELECT revoked_reason FROM sessions WHERE id = ?1', 'ses_raced')).toEqual({ revoked_reason: 'account_enabled' })
  })

  it('an admin demoted a moment ago cannot finish a change, and a combined change moves no credits either', async () => {
    const first = await newUser('demoted')
    const second = await newUser('keeper')
    await makeAdmin(first.id)
    await makeAdmin(second.id)
    const target = await newUser('target')
    // `first` authenticated as an admin, then `second` demoted them before their change ran.
    await updateUser(env, second.id, first.id, { role: 'user' })
    await expect(updateUser(env, first.id, target.id, { isActive: false })).rejects.toMatchObject({ code: 'FORBIDDEN' })
    const before = await creditsOf(target.id)
    // The account half fails inside the batch, so the credit half must roll back with it.
    await expect(updateUser(env, first.id, target.id, { role: 'admin', creditsDelta: 25, reason: 'bonus' })).rejects.toMatchObject({ code: 'FORBIDDEN' })
    expect(await creditsOf(target.id)).toBe(before)
    expect(await dbFirst<{ role: string; disabled_at: number | null }>('SELECT role, disabled_at FROM users WHERE id = ?1', target.id)).toEqual({ role: 'user', disabled_at: null })
    expect(await dbFirst<{ n: number }>("SELECT COUNT(*) AS n FROM audit_log WHERE actor_id = ?1", first.id)).toEqual({ n: 0 })
    await expectLedgerMatchesBalance(target.id)
  })
})
