import { env } from 'cloudflare:test'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { adminListUsersRoute, adminUpdateUserRoute } from '../../src/features/admin/routes'
import { updateUser } from '../../src/features/admin/users'
import { adminLoginRoute, loginRoute, refreshTokensRoute } from '../../src/features/auth/routes'
import { callJson, dataOf, dbFirst, dbRun, expectError, login, newUser, type TestUser } from '../helpers'
import { creditsOf, expectLedgerMatchesBalance, makeAdmin } from '../support/generation'
import { closeAll, closeCode, connect, expectAlive } from '../support/ws-client'
import { closeAllSockets, connectLive, createSession, viewerToken } from '../support/live'

afterEach(() => {
  closeAll()
  closeAllSockets()
  vi.restoreAllMocks()
})

let admin: TestUser

beforeAll(async () => {
  admin = await newUser('boss')
  await makeAdmin(admin.id)
})

const put = (id: string, body: unknown, token = admin.accessToken) => callJson('PUT', `/api/admin/users/${id}`, body, { token })
const list = async (query = '') => dataOf(await callJson('GET', `/api/admin/users${query}`, undefined, { token: admin.accessToken }), adminListUsersRoute, 200)
const refresh = (refreshToken: string) => callJson('POST', '/api/auth/refresh', { refreshToken })

interface AuditRow { actor_id: string; action: string; target_id: string; before: string; after: string }
const auditRows = async (targetId: string, action: string) =>
  (await env.DB.prepare('SELECT actor_id, action, target_id, before, after FROM audit_log WHERE target_id = ?1 AND action = ?2 ORDER BY created_at, id').bind(targetId, action).all<AuditRow>()).results

describe('admin console routes refuse anonymous and non-admin callers', () => {
  const routes: Array<[string, string, unknown?]> = [
    ['GET', '/api/admin/stats/overview'],
    ['GET', '/api/admin/users'],
    ['PUT', '/api/admin/users/usr_x', { role: 'admin' }],
    ['GET', '/api/admin/tasks'],
    ['GET', '/api/websocket/stats'],
    ['POST', '/api/credits/grant', { userId: 'usr_x', amount: 1 }],
  ]
  it.each(routes)('%s %s: 401 anonymous, 403 for a user', async (method, path, body) => {
    const user = await newUser('plain')
    expectError(await callJson(method, path, body), 401, 'UNAUTHORIZED')
    expectError(await callJson(method, path, body, { token: user.accessToken }), 403, 'FORBIDDEN')
    // A user cannot make themself an admin through the console either.
    if (method === 'PUT') expectError(await put(user.id, { role: 'admin' }, user.accessToken), 403, 'FORBIDDEN')
  })
})

describe('GET /api/admin/users', () => {
  it('searches username and email, filters role and status, pages newest first', async () => {
    const a = await newUser('srch_alpha')
    const b = await newUser('srch_beta')
    dataOf(await put(b.id, { isActive: false, reason: 'spam' }), adminUpdateUserRoute, 200)
    const found = await list('?search=SRCH_')
    expect(found.items.map((u) => u.id)).toEqual([b.id, a.id])
    expect(found.items[0]).toMatchObject({ status: 'disabled', isActive: false, disabledReason: 'spam', role: 'user', credits: 100, wechat: false })
    expect(found.items[1]).toMatchObject({ status: 'active', isActive: true, disabledAt: null })
    expect(found.items[1]!.lastLoginAt).not.toBeNull()
    expect((await list(`?search=${encodeURIComponent(a.email)}`)).items.map((u) => u.id)).toEqual([a.id])
    expect((await list('?search=srch_&status=disabled')).items.map((u) => u.id)).toEqual([b.id])
    expect((await list('?search=srch_&status=active')).items.map((u) => u.id)).toEqual([a.id])
    expect((await list('?role=admin')).items.map((u) => u.id)).toContain(admin.id)
    expect((await list('?role=admin')).items.every((u) => u.role === 'admin')).toBe(true)
    // `_` is a LIKE wildcard: escaped, "srch%" must not match "srch_alpha".
    expect((await list('?search=srch%25')).items).toEqual([])
    const paged = await list('?search=srch_&limit=1&page=2')
    expect(paged.items.map((u) => u.id)).toEqual([a.id])
    expect(paged.pagination).toMatchObject({ total: 2, totalPages: 2, hasPrev: true })
  })

  it('bad filters are 400', async () => {
    for (const q of ['?status=gone', '?role=root', '?limit=0', `?search=${'x'.repeat(101)}`]) {
      expectError(await callJson('GET', `/api/admin/users${q}`, undefined, { token: admin.accessToken }), 400, 'VALIDATION_ERROR')
    }
  })
})

describe('disabling and enabling an account', () => {
  it('revokes every session, closes sockets, and every sign-in answers 403 ACCOUNT_DISABLED until enabled', async () => {
    const user = await newUser('victim')
    const second = dataOf(await login(user.username, user.password), loginRoute, 200)
    const socket = await connect(user.accessToken)
    const otherSocket = await connect(second.accessToken)
    await expectAlive(socket)

    const disabled = dataOf(await put(user.id, { isActive: false, reason: 'fraud' }), adminUpdateUserRoute, 200)
    expect(disabled).toMatchObject({ isActive: false, status: 'disabled', disabledReason: 'fraud' })

    // Both devices' sockets close at once with 4401 (not at token expiry).
    expect(await closeCode(socket)).toBe(4401)
    expect(await closeCode(otherSocket)).toBe(4401)
    expectError(await refresh(user.refreshToken), 403, 'ACCOUNT_DISABLED')
    expectError(await refresh(second.refreshToken), 403, 'ACCOUNT_DISABLED')
    expectError(await callJson('GET', '/api/auth/me', undefined, { token: user.accessToken }), 401, 'UNAUTHORIZED')
    expectError(await login(user.username, user.password), 403, 'ACCOUNT_DISABLED')
    // A wrong password does not learn that the account is disabled.
    expectError(await login(user.username, 'wrong-password-9'), 401, 'INVALID_CREDENTIALS')
    const live = await dbFirst<{ n: number }>('SELECT COUNT(*) AS n FROM sessions WHERE user_id = ?1 AND revoked_at IS NULL', user.id)
    expect(live?.n).toBe(0)

    const [audit] = await auditRows(user.id, 'users.update')
    expect(audit?.actor_id).toBe(admin.id)
    expect(JSON.parse(audit!.before)).toEqual({ role: 'user', isActive: true })
    expect(JSON.parse(audit!.after)).toEqual({ role: 'user', isActive: false, reason: 'fraud' })

    const enabled = dataOf(await put(user.id, { isActive: true }), adminUpdateUserRoute, 200)
    expect(enabled).toMatchObject({ isActive: true, disabledAt: null, disabledReason: null })
    const again = dataOf(await login(user.username, user.password), loginRoute, 200)
    expect((await callJson('GET', '/api/auth/me', undefined, { token: again.accessToken })).status).toBe(200)
    // Old refresh tokens stay dead: their sessions were revoked, enabling does not bring them back.
    expectError(await refresh(user.refreshToken), 401, 'UNAUTHORIZED')
    dataOf(await refresh(again.refreshToken), refreshTokensRoute, 200)
    expect((await auditRows(user.id, 'users.update')).map((r) => JSON.parse(r.after).isActive)).toEqual([false, true])
  })

  it('a disabled admin cannot use the admin login, and a disabled WeChat user cannot sign in', async () => {
    const other = await newUser('admin2')
    await makeAdmin(other.id)
    dataOf(await put(other.id, { isActive: false }), adminUpdateUserRoute, 200)
    expectError(await callJson('POST', '/api/auth/admin/login', { login: other.username, password: other.password }), 403, 'ACCOUNT_DISABLED')

    vi.spyOn(globalThis, 'fetch').mockImplementation(async () => new Response(JSON.stringify({ openid: 'openid-disabled', session_key: 'k' })))
    const first = await callJson('POST', '/api/auth/wechat/login', { code: 'code-a' })
    expect(first.status).toBe(200)
    const wx = (first.body as { data: { user: { id: string } } }).data.user.id
    dataOf(await put(wx, { isActive: false }), adminUpdateUserRoute, 200)
    expectError(await callJson('POST', '/api/auth/wechat/login', { code: 'code-b' }), 403, 'ACCOUNT_DISABLED')
    dataOf(await put(wx, { isActive: true }), adminUpdateUserRoute, 200)
    expect((await callJson('POST', '/api/auth/wechat/login', { code: 'code-c' })).status).toBe(200)
    dataOf(await put(other.id, { isActive: true }), adminUpdateUserRoute, 200)
    dataOf(await callJson('POST', '/api/auth/admin/login', { login: other.username, password: other.password }), adminLoginRoute, 200)
  })

  it("also closes the user's photographer sockets on their live sessions", async () => {
    const owner = await newUser('liveowner')
    const session = await createSession(owner.accessToken)
    const console_ = await connectLive(session.id, owner.accessToken)
    const guest = await connectLive(session.id, await viewerToken(session.id, session.accessCode))
    dataOf(await put(owner.id, { isActive: false }), adminUpdateUserRoute, 200)
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('owner socket not closed')), 5000))
    expect((await Promise.race([console_.closed, timeout])).code).toBe(4401)
    // Guests are not the disabled user: they keep watching.
    guest.ws.send(JSON.stringify({ type: 'ping' }))
    await guest.waitFor((e) => e.type === 'pong', 'pong')
  })

  it('an admin cannot disable themself or change their own role', async () => {
    expectError(await put(admin.id, { isActive: false }), 403, 'FORBIDDEN')
    expectError(await put(admin.id, { role: 'user' }), 403, 'FORBIDDEN')
    const row = await dbFirst<{ role: string; disabled_at: number | null }>('SELECT role, disabled_at FROM users WHERE id = ?1', admin.id)
    expect(row).toEqual({ role: 'admin', disabled_at: null })
    // Their own credits are fine: that is not a change of access.
    dataOf(await put(admin.id, { creditsDelta: 5, reason: 'self test' }), adminUpdateUserRoute, 200)
  })

  it('404 for an unknown user; 400 for empty or invalid bodies', async () => {
    expectError(await put('usr_missing', { role: 'admin' }), 404, 'NOT_FOUND')
    const user = await newUser('bodies')
    for (const body of [{}, { role: 'root' }, { isActive: 'no' }, { creditsDelta: 5 }, { creditsDelta: 0, reason: 'x' }, { creditsDelta: 1.5, reason: 'x' }, { creditsDelta: 5, reason: '  ' }]) {
      expectError(await put(user.id, body), 400, 'VALIDATION_ERROR')
    }
  })
})

interface LedgerNote { amount: number; reason: string; note: string | null; balance_after: number }
const ledgerNotes = async (userId: string) =>
  (await env.DB.prepare("SELECT amount, reason, note, balance_after FROM credit_ledger WHERE user_id = ?1 AND reason LIKE 'admin_%' ORDER BY created_at, id").bind(userId).all<LedgerNote>()).results

describe('credits through the console', () => {
  it('adjusts up and down with a reason: ledger row with the note, audit row, balance, credits.changed', async () => {
    const user = await newUser('credits')
    const socket = await connect(user.accessToken)
    const up = dataOf(await put(user.id, { creditsDelta: 50, reason: 'Goodwill for the outage' }), adminUpdateUserRoute, 200)
    expect(up.credits).toBe(150)
    await socket.waitForType('credits.changed', (f) => f.data.balance === 150)
    const down = dataOf(await put(user.id, { creditsDelta: -120, reason: 'Chargeback' }), adminUpdateUserRoute, 200)
    expect(down.credits).toBe(30)
    expect(await ledgerNotes(user.id)).toEqual([
      { amount: 50, reason: 'admin_adjust', note: 'Goodwill for the outage', balance_after: 150 },
      { amount: -120, reason: 'admin_adjust', note: 'Chargeback', balance_after: 30 },
    ])
    const audits = await auditRows(user.id, 'credits.adjust')
    expect(audits.map((r) => [r.actor_id, JSON.parse(r.before), JSON.parse(r.after)])).toEqual([
      [admin.id, { credits: 100 }, { creditsDelta: 50, reason: 'Goodwill for the outage' }],
      [admin.id, { credits: 150 }, { creditsDelta: -120, reason: 'Chargeback' }],
    ])
    await expectLedgerMatchesBalance(user.id)
  })

  it('refuses to go below 0 (409, nothing written), and a reason is required', async () => {
    const user = await newUser('overdraft')
    const refused = expectError(await put(user.id, { creditsDelta: -101, reason: 'too much' }), 409, 'CONFLICT')
    expect(refused.details).toMatchObject({ balance: 100 })
    expectError(await put(user.id, { creditsDelta: -5 }), 400, 'VALIDATION_ERROR')
    expect(await creditsOf(user.id)).toBe(100)
    expect(await ledgerNotes(user.id)).toEqual([])
    expect(await auditRows(user.id, 'credits.adjust')).toEqual([])
  })

  it('parallel debits never overdraw: each applies or answers 409, the ledger explains the balance', async () => {
    const user = await newUser('racedebit')
    const results = await Promise.all(Array.from({ length: 5 }, () => put(user.id, { creditsDelta: -30, reason: 'race' })))
    const ok = results.filter((r) => r.status === 200).length
    for (const r of results) if (r.status !== 200) expectError(r, 409, 'CONFLICT')
    expect(ok).toBe(3)
    expect(await creditsOf(user.id)).toBe(10)
    expect(await auditRows(user.id, 'credits.adjust')).toHaveLength(3)
    await expectLedgerMatchesBalance(user.id)
  })

  it('a role change with credits is all or nothing: an overdraft leaves the role as it was', async () => {
    const user = await newUser('combo')
    // The balance is short when the console reads it: refused before any write.
    await dbRun('UPDATE users SET credits = 0 WHERE id = ?1', user.id)
    expectError(await put(user.id, { role: 'admin', creditsDelta: -10, reason: 'combo' }), 409, 'CONFLICT')
    expect((await dbFirst<{ role: string }>('SELECT role FROM users WHERE id = ?1', user.id))?.role).toBe('user')
    expect(await auditRows(user.id, 'users.update')).toEqual([])
    const both = dataOf(await put(user.id, { role: 'admin', creditsDelta: 10, reason: 'promotion bonus' }), adminUpdateUserRoute, 200)
    expect(both).toMatchObject({ role: 'admin', credits: 10 })
    expect(await auditRows(user.id, 'users.update')).toHaveLength(1)
    expect(await auditRows(user.id, 'credits.adjust')).toHaveLength(1)
  })

  it('a combined change whose debit fails inside the batch rolls back its role change too (service level)', async () => {
    // The balance drops between the console's read and its batch (as a concurrent debit would):
    // the ledger guard writes nothing, and the role change in the same batch must not land alone.
    const user = await newUser('racecombo')
    const DB = {
      prepare: (query: string) => env.DB.prepare(query),
      batch: async (statements: D1PreparedStatement[]) => {
        await env.DB.prepare('UPDATE users SET credits = 0 WHERE id = ?1').bind(user.id).run()
        return env.DB.batch(statements)
      },
    } as unknown as D1Database
    await expect(updateUser({ ...env, DB }, admin.id, user.id, { role: 'admin', creditsDelta: -60, reason: 'combo' })).rejects.toMatchObject({ code: 'CONFLICT' })
    expect(await dbFirst('SELECT role, credits FROM users WHERE id = ?1', user.id)).toEqual({ role: 'user', credits: 0 })
    expect(await auditRows(user.id, 'users.update')).toEqual([])
    expect(await auditRows(user.id, 'credits.adjust')).toEqual([])
  })

  it('POST /api/credits/grant writes a credits.grant audit row in its batch (none for an unknown user)', async () => {
    const user = await newUser('granted')
    const res = await callJson('POST', '/api/credits/grant', { userId: user.id, amount: 25, note: 'Contest prize' }, { token: admin.accessToken })
    expect(res.status).toBe(200)
    expect(await creditsOf(user.id)).toBe(125)
    const [row] = await auditRows(user.id, 'credits.grant')
    expect(row?.actor_id).toBe(admin.id)
    expect(JSON.parse(row!.after)).toEqual({ amount: 25, note: 'Contest prize' })
    expectError(await callJson('POST', '/api/credits/grant', { userId: 'usr_nobody', amount: 5 }, { token: admin.accessToken }), 404, 'NOT_FOUND')
    expect(await auditRows('usr_nobody', 'credits.grant')).toEqual([])
  })
})

describe('the last active admin (runs last: it changes who is admin)', () => {
  it('two parallel demotions of the only two admins leave exactly one, and the loser writes no audit row', async () => {
    // Make a and b the only active admins (the file's admin is demoted by a, through the API).
    const a = await newUser('adm_a')
    const b = await newUser('adm_b')
    await makeAdmin(a.id)
    await makeAdmin(b.id)
    await dbRun("UPDATE users SET role = 'user' WHERE role = 'admin' AND id NOT IN (?1, ?2, ?3)", admin.id, a.id, b.id)
    dataOf(await put(admin.id, { role: 'user' }, a.accessToken), adminUpdateUserRoute, 200)

    const results = await Promise.all([put(b.id, { role: 'user' }, a.accessToken), put(a.id, { role: 'user' }, b.accessToken)])
    // The loser is refused by the SQL guard (409), or, when the winner committed before the loser's
    // request was authenticated, it is no admin any more (403).
    expect(results.filter((r) => r.status === 200)).toHaveLength(1)
    const loser = results.find((r) => r.status !== 200)!
    if (loser.status === 409) expect(expectError(loser, 409, 'CONFLICT').error).toMatch(/last active admin/)
    else expectError(loser, 403, 'FORBIDDEN')
    const admins = await env.DB.prepare("SELECT id FROM users WHERE role = 'admin' AND disabled_at IS NULL").all<{ id: string }>()
    expect(admins.results).toHaveLength(1)
    expect((await auditRows(a.id, 'users.update')).length + (await auditRows(b.id, 'users.update')).length).toBe(1)

    // The survivor is the last admin: they cannot demote or disable themself either.
    const survivor = admins.results[0]!.id === a.id ? a : b
    expectError(await put(survivor.id, { role: 'user' }, survivor.accessToken), 403, 'FORBIDDEN')
    expectError(await put(survivor.id, { isActive: false }, survivor.accessToken), 403, 'FORBIDDEN')
  })

  it('the guard lives in the UPDATE: two demotions that both passed their reads leave one admin (service level)', async () => {
    // Called below the HTTP layer so that both callers are still admins when they read: whichever
    // batch runs second finds no other active admin inside its own UPDATE and changes nothing.
    const e = await newUser('adm_e')
    const f = await newUser('adm_f')
    await dbRun("UPDATE users SET role = 'user' WHERE role = 'admin'")
    await makeAdmin(e.id)
    await makeAdmin(f.id)
    const outcomes = await Promise.allSettled([updateUser(env, e.id, f.id, { role: 'user' }), updateUser(env, f.id, e.id, { role: 'user' })])
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1)
    const refused = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult
    // The loser was demoted by the winner, so it is refused as no longer an admin (both guards
    // live in the UPDATE; either one alone would leave one admin).
    expect(refused.reason).toMatchObject({ code: 'FORBIDDEN' })
    expect(String(refused.reason.message)).toMatch(/no longer an active admin/)
    const n = await dbFirst<{ n: number }>("SELECT COUNT(*) AS n FROM users WHERE role = 'admin' AND disabled_at IS NULL")
    expect(n?.n).toBe(1)
  })

  it('disabling and demoting each other at once also leaves one active admin', async () => {
    const c = await newUser('adm_c')
    const d = await newUser('adm_d')
    await dbRun("UPDATE users SET role = 'user' WHERE role = 'admin'")
    await makeAdmin(c.id)
    await makeAdmin(d.id)
    const results = await Promise.all([put(d.id, { isActive: false }, c.accessToken), put(c.id, { role: 'user' }, d.accessToken)])
    // One wins; the other loses the guard (409), or its caller is already disabled (401) or demoted (403).
    expect(results.filter((r) => r.status === 200)).toHaveLength(1)
    for (const r of results) expect([200, 401, 403, 409]).toContain(r.status)
    const n = await dbFirst<{ n: number }>("SELECT COUNT(*) AS n FROM users WHERE role = 'admin' AND disabled_at IS NULL")
    expect(n?.n).toBe(1)
  })
})
