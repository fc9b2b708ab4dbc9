import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { listAuditRoute } from '../../src/features/audit/routes'
import { getAnnouncementRoute, listSettingsRoute, updateSettingRoute } from '../../src/features/settings/routes'
import { SETTING_KEYS } from '../../src/features/settings/registry'
import { putSetting } from '../../src/features/settings/service'
import { createTaskRoute } from '../../src/features/tasks/routes'
import { callApp, callJson, dataOf, dbFirst, expectError, newUser, type TestUser } from '../helpers'
import { creditsOf, envWith, makeAdmin } from '../support/generation'

let admin: TestUser
let user: TestUser

beforeAll(async () => {
  admin = await newUser('admin')
  await makeAdmin(admin.id)
  user = await newUser('plain')
})

const put = (key: string, body: unknown, token = admin.accessToken) => callJson('PUT', `/api/admin/config/${key}`, body, { token })
const settingsList = async () => dataOf(await callJson('GET', '/api/admin/config', undefined, { token: admin.accessToken }), listSettingsRoute, 200).items
const auditOf = async (targetId: string) =>
  dataOf(await callJson('GET', `/api/admin/audit?targetType=setting&targetId=${targetId}`, undefined, { token: admin.accessToken }), listAuditRoute, 200).items

describe('admin config: access', () => {
  it('401 anonymous, 403 for a non-admin, on both routes; nothing is written', async () => {
    expectError(await callJson('GET', '/api/admin/config'), 401, 'UNAUTHORIZED')
    expectError(await callJson('PUT', '/api/admin/config/worksReview', { value: 'off' }), 401, 'UNAUTHORIZED')
    expectError(await callJson('GET', '/api/admin/config', undefined, { token: user.accessToken }), 403, 'FORBIDDEN')
    expectError(await put('worksReview', { value: 'off' }, user.accessToken), 403, 'FORBIDDEN')
    expect(await dbFirst("SELECT 1 FROM settings WHERE key = 'worksReview'")).toBeNull()
    expect(await dbFirst('SELECT 1 FROM audit_log')).toBeNull()
  })
})

describe('admin config: list and change', () => {
  it('lists every registry key with value, default, type and description; defaults until changed', async () => {
    const items = await settingsList()
    expect(items.map((s) => s.key).sort()).toEqual([...SETTING_KEYS].sort())
    const byKey = Object.fromEntries(items.map((s) => [s.key, s]))
    expect(byKey.signupCredits).toMatchObject({ value: 100, default: 100, type: 'integer ≥ 0', updatedAt: null, updatedBy: null })
    expect(byKey.generationCostUnit).toMatchObject({ value: 2, default: 2, type: 'integer ≥ 1' })
    expect(byKey.maintenance).toMatchObject({ value: false, default: false, type: 'boolean' })
    expect(byKey.announcement).toMatchObject({ value: null, default: null })
    for (const item of items) expect(item.description.length).toBeGreaterThan(10)
  })

  it('a change is stored with who and when, answered with the value before, and audited with before/after', async () => {
    const { setting, before } = dataOf(await put('generationsPerHour', { value: 25 }), updateSettingRoute, 200)
    expect(before).toBe(10)
    expect(setting).toMatchObject({ key: 'generationsPerHour', value: 25, default: 10, updatedBy: admin.id })
    expect(Date.parse(setting.updatedAt!)).toBeGreaterThan(Date.now() - 60_000)
    expect((await settingsList()).find((s) => s.key === 'generationsPerHour')?.value).toBe(25)
    dataOf(await put('generationsPerHour', { value: 30 }), updateSettingRoute, 200)
    // Newest first, each with the admin and the exact before/after.
    const rows = await auditOf('generationsPerHour')
    expect(rows.map((r) => [r.action, r.actorId, r.actorUsername, r.before, r.after])).toEqual([
      ['settings.update', admin.id, admin.username, 25, 30],
      ['settings.update', admin.id, admin.username, 10, 25],
    ])
    await putSetting(env, 'generationsPerHour', 10, null)
  })

  it('announcement takes a string (trimmed, ≤ 500) or null; the public route shows it with the maintenance state', async () => {
    dataOf(await put('announcement', { value: '  Maintenance at 02:00 UTC  ' }), updateSettingRoute, 200)
    const res = await callJson('GET', '/api/system/announcement')
    expect(dataOf(res, getAnnouncementRoute, 200)).toEqual({ announcement: 'Maintenance at 02:00 UTC', maintenance: false })
    expect(res.res.headers.get('Cache-Control')).toBe('public, max-age=30')
    expectError(await put('announcement', { value: 'x'.repeat(501) }), 400, 'VALIDATION_ERROR')
    expectError(await put('announcement', { value: '   ' }), 400, 'VALIDATION_ERROR')
    const { before } = dataOf(await put('announcement', { value: null }), updateSettingRoute, 200)
    expect(before).toBe('Maintenance at 02:00 UTC')
    expect(dataOf(await callJson('GET', '/api/system/announcement'), getAnnouncementRoute, 200).announcement).toBeNull()
    expect((await auditOf('announcement')).map((r) => r.after)).toEqual([null, 'Maintenance at 02:00 UTC'])
  })

  it('unknown key is 404 naming the known keys; nothing written', async () => {
    const body = expectError(await put('colourScheme', { value: 'dark' }), 404, 'NOT_FOUND')
    expect((body.details as { keys: string[] }).keys).toContain('maintenance')
    // Object prototype names are not keys either.
    expectError(await put('constructor', { value: 1 }), 404, 'NOT_FOUND')
    expect(await dbFirst("SELECT 1 FROM settings WHERE key IN ('colourScheme', 'constructor')")).toBeNull()
    expect(await auditOf('colourScheme')).toEqual([])
  })

  it('a value of the wrong type is 400 naming the type, for every kind of setting; nothing written, nothing audited', async () => {
    for (const [key, value, type] of [
      ['worksReview', true, 'on | off'],
      ['worksReview', 'maybe', 'on | off'],
      ['generationsPerHour', '5', 'integer ≥ 0'],
      ['signupCredits', -1, 'integer ≥ 0'],
      ['signupCredits', 2.5, 'integer ≥ 0'],
      ['generationCostUnit', 0, 'integer ≥ 1'],
      ['maintenance', 'true', 'boolean'],
      ['maintenance', 1, 'boolean'],
      ['announcement', 42, 'or null'],
    ] as const) {
      const stored = await dbFirst('SELECT value, updated_at FROM settings WHERE key = ?1', key)
      const body = expectError(await put(key, { value }), 400, 'VALIDATION_ERROR')
      expect(body.error, `${key}=${JSON.stringify(value)}`).toContain(type)
      expect(body.error).toContain(key)
      expect(await dbFirst('SELECT value, updated_at FROM settings WHERE key = ?1', key)).toEqual(stored)
    }
    // A body without `value`, or with a non-scalar one, is refused by the body schema.
    expectError(await put('maintenance', {}), 400, 'VALIDATION_ERROR')
    expectError(await put('maintenance', { value: [true] }), 400, 'VALIDATION_ERROR')
    expect(await dbFirst("SELECT 1 FROM audit_log WHERE target_id IN ('worksReview', 'signupCredits', 'generationCostUnit', 'maintenance')")).toBeNull()
    expect(await dbFirst("SELECT COUNT(*) AS n FROM audit_log WHERE target_id = 'generationsPerHour'")).toEqual({ n: 2 })
  })
})

describe('settings take effect', () => {
  it('signupCredits: new accounts start with the setting, and the default follows SIGNUP_CREDITS', async () => {
    dataOf(await put('signupCredits', { value: 7 }), updateSettingRoute, 200)
    const fresh = await newUser('signup')
    expect(await creditsOf(fresh.id)).toBe(7)
    expect(await dbFirst("SELECT amount FROM credit_ledger WHERE user_id = ?1 AND reason = 'signup_bonus'", fresh.id)).toEqual({ amount: 7 })
    await env.DB.prepare("DELETE FROM settings WHERE key = 'signupCredits'").run()
    // No stored value: the default is the deployment's SIGNUP_CREDITS, read per env.
    const username = `sc_${crypto.randomUUID().slice(0, 8)}`
    const res = await callApp({ SIGNUP_CREDITS: '33' }, 'POST', '/api/auth/register', { username, email: `${username}@example.com`, password: 'secret-pass-1' })
    expect(res.status).toBe(201)
    expect(await dbFirst('SELECT credits FROM users WHERE username = ?1', username)).toEqual({ credits: 33 })
  })

  it('generationCostUnit prices a task without a scene price', async () => {
    const bindings = envWith()
    const task = async () => dataOf(await callApp(bindings, 'POST', '/api/tasks', { prompt: 'a quiet harbour', size: '768x512' }, { token: user.accessToken }), createTaskRoute, 202).task
    // 768x512 = 1.5 × 512²: unit 2 → 3 credits; unit 5 → ceil(7.5) = 8.
    expect((await task()).cost).toBe(3)
    dataOf(await put('generationCostUnit', { value: 5 }), updateSettingRoute, 200)
    expect((await task()).cost).toBe(8)
    await putSetting(env, 'generationCostUnit', 2, null)
  })
})
