import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { listAuditRoute } from '../../src/features/audit/routes'
import { auditStatement, recordAudit } from '../../src/features/audit/service'
import { callJson, dataOf, dbFirst, expectError, newUser, type TestUser } from '../helpers'
import { makeAdmin } from '../support/generation'

let admin: TestUser
let other: TestUser
let user: TestUser
const T0 = Date.parse('2026-01-10T12:00:00Z')

/** Rows written straight into the log with known times, so time filters are exact. */
async function seed(actorId: string | null, action: 'settings.update' | 'works.review' | 'users.update', targetType: 'setting' | 'work' | 'user', targetId: string, at: number) {
  await env.DB.prepare(
    'INSERT INTO audit_log (id, actor_id, action, target_type, target_id, before, after, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)',
  ).bind(`aud_seed_${crypto.randomUUID()}`, actorId, action, targetType, targetId, '{"n":1}', '{"n":2}', at).run()
}

beforeAll(async () => {
  admin = await newUser('admin')
  other = await newUser('admin2')
  await makeAdmin(admin.id)
  await makeAdmin(other.id)
  user = await newUser('plain')
  await seed(admin.id, 'settings.update', 'setting', 'maintenance', T0)
  await seed(other.id, 'works.review', 'work', 'wrk_a', T0 + 60_000)
  await seed(admin.id, 'works.review', 'work', 'wrk_b', T0 + 120_000)
  await seed(admin.id, 'users.update', 'user', user.id, T0 + 180_000)
})

const list = async (query = '') => dataOf(await callJson('GET', `/api/admin/audit${query}`, undefined, { token: admin.accessToken }), listAuditRoute, 200)

describe('GET /api/admin/audit', () => {
  it('401 anonymous, 403 non-admin', async () => {
    expectError(await callJson('GET', '/api/admin/audit'), 401, 'UNAUTHORIZED')
    expectError(await callJson('GET', '/api/admin/audit', undefined, { token: user.accessToken }), 403, 'FORBIDDEN')
  })

  it('lists newest first with the actor, JSON before/after and ISO times', async () => {
    const page = await list()
    expect(page.items.map((e) => e.targetId)).toEqual([user.id, 'wrk_b', 'wrk_a', 'maintenance'])
    expect(page.items[3]).toMatchObject({
      actorId: admin.id, actorUsername: admin.username, action: 'settings.update', targetType: 'setting',
      before: { n: 1 }, after: { n: 2 }, createdAt: new Date(T0).toISOString(),
    })
    expect(page.pagination).toMatchObject({ total: 4, page: 1 })
  })

  it('filters by actor, action, target and time range (from inclusive, to exclusive), and pages', async () => {
    expect((await list(`?actor=${other.id}`)).items.map((e) => e.targetId)).toEqual(['wrk_a'])
    expect((await list('?action=works.review')).items.map((e) => e.targetId)).toEqual(['wrk_b', 'wrk_a'])
    expect((await list('?targetType=work&targetId=wrk_a')).items.map((e) => e.actorId)).toEqual([other.id])
    const from = new Date(T0 + 60_000).toISOString()
    const to = new Date(T0 + 180_000).toISOString()
    expect((await list(`?from=${from}&to=${to}`)).items.map((e) => e.targetId)).toEqual(['wrk_b', 'wrk_a'])
    expect((await list(`?actor=${admin.id}&action=works.review`)).items.map((e) => e.targetId)).toEqual(['wrk_b'])
    const second = await list('?limit=3&page=2')
    expect(second.items.map((e) => e.targetId)).toEqual(['maintenance'])
    expect(second.pagination).toMatchObject({ total: 4, totalPages: 2, hasPrev: true, hasNext: false })
    expect((await list('?action=nothing.here')).items).toEqual([])
  })

  it('bad filters are 400', async () => {
    for (const query of ['?from=yesterday', '?to=2026-13-01T00:00:00Z', `?from=${new Date(T0).toISOString()}&to=${new Date(T0 - 1).toISOString()}`, '?limit=101', '?page=0']) {
      expectError(await callJson('GET', `/api/admin/audit${query}`, undefined, { token: admin.accessToken }), 400, 'VALIDATION_ERROR')
    }
  })

  it('is append-only through the API: no route updates or deletes an entry', async () => {
    for (const method of ['PUT', 'PATCH', 'DELETE', 'POST']) {
      const r = await callJson(method, '/api/admin/audit', {}, { token: admin.accessToken })
      expect([404, 405]).toContain(r.status)
    }
    const first = (await list()).items[0]!
    const r = await callJson('DELETE', `/api/admin/audit/${first.id}`, undefined, { token: admin.accessToken })
    expect([404, 405]).toContain(r.status)
    expect(await dbFirst('SELECT COUNT(*) AS n FROM audit_log')).toEqual({ n: 4 })
  })
})

describe('audit statements', () => {
  it('recordAudit writes one row; a system change has no actor', async () => {
    await recordAudit(env, { actorId: null, action: 'settings.update', targetType: 'setting', targetId: 'sys_test', before: null, after: 3 })
    expect((await list('?targetId=sys_test')).items).toMatchObject([{ actorId: null, actorUsername: null, before: null, after: 3 }])
  })

  it('onlyIfPreviousChanged writes the row only when the statement before it in the batch changed a row', async () => {
    const update = (id: string) => env.DB.prepare("UPDATE users SET updated_at = updated_at WHERE id = ?1").bind(id)
    const entry = (targetId: string) => ({ actorId: admin.id, action: 'users.update' as const, targetType: 'user' as const, targetId, before: 1, after: 2 })
    await env.DB.batch([update(user.id), auditStatement(env, entry('changed'), { onlyIfPreviousChanged: true })])
    await env.DB.batch([update('usr_missing'), auditStatement(env, entry('unchanged'), { onlyIfPreviousChanged: true })])
    expect((await list('?targetId=changed')).items).toHaveLength(1)
    expect((await list('?targetId=unchanged')).items).toHaveLength(0)
  })
})
