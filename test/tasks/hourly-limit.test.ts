import { env } from 'cloudflare:test'
import { afterEach, describe, expect, it } from 'vitest'
import { putSetting } from '../../src/features/settings/service'
import { createTaskRoute } from '../../src/features/tasks/routes'
import { callApp, dataOf, expectError, newUser, type TestUser } from '../helpers'
import { creditsOf, envWith, expectLedgerMatchesBalance, grantCredits, ledgerOf, makeAdmin } from '../support/generation'

// Tests run with SETTINGS_CACHE_SECONDS=0: a setting changed here applies to the next request.
const setLimit = (n: number) => putSetting(env, 'generationsPerHour', n, null)
afterEach(async () => {
  await env.DB.prepare("DELETE FROM settings WHERE key = 'generationsPerHour'").run()
})

const BODY = { prompt: 'a lighthouse at dusk' } // 512x512, 1 image, 20 steps: 2 credits

const post = (bindings: Env, user: TestUser, headers: Record<string, string> = {}) =>
  callApp(bindings, 'POST', '/api/tasks', BODY, { token: user.accessToken, headers })

async function taskCount(userId: string) {
  return (await env.DB.prepare('SELECT count(*) AS n FROM tasks WHERE user_id = ?1').bind(userId).first<{ n: number }>())!.n
}

/** A 429 RATE_LIMITED whose Retry-After header and details agree; answers the seconds. */
function expectLimited(r: { status: number; body: unknown; res: Response }): number {
  expectError(r, 429, 'RATE_LIMITED')
  const retryAfter = Number(r.res.headers.get('Retry-After'))
  expect((r.body as { details: { retryAfter: number } }).details.retryAfter).toBe(retryAfter)
  return retryAfter
}

describe('per-user generations per rolling hour (setting generationsPerHour)', () => {
  it('default 10: of 15 parallel requests exactly 10 are accepted; the 5 others are 429, charged nothing, queued nothing', async () => {
    const user = await newUser('limit')
    // A capturing queue: every request is in flight together; only the guarded batch decides.
    const bindings = envWith()
    const results = await Promise.all(Array.from({ length: 15 }, () => post(bindings, user)))
    const accepted = results.filter((r) => r.status === 202)
    const refused = results.filter((r) => r.status !== 202)
    expect(accepted).toHaveLength(10)
    expect(refused).toHaveLength(5)
    for (const r of refused) {
      // The window's oldest task was created a moment ago: it leaves the window in about an hour.
      const retryAfter = expectLimited(r)
      expect(retryAfter).toBeGreaterThan(3500)
      expect(retryAfter).toBeLessThanOrEqual(3600)
    }
    expect(new Set(accepted.map((r) => dataOf(r, createTaskRoute, 202).task.id)).size).toBe(10)
    expect(await taskCount(user.id)).toBe(10)
    expect(bindings.sent).toHaveLength(10)
    expect(await creditsOf(user.id)).toBe(100 - 10 * 2)
    expect((await ledgerOf(user.id)).filter((l) => l.reason === 'task_charge')).toHaveLength(10)
    await expectLedgerMatchesBalance(user.id)
  })

  it('at limit - 1, parallel requests let exactly one more through', async () => {
    await setLimit(3)
    const user = await newUser('limit')
    const bindings = envWith()
    for (let i = 0; i < 2; i++) expect((await post(bindings, user)).status).toBe(202)
    const results = await Promise.all(Array.from({ length: 6 }, () => post(bindings, user)))
    expect(results.filter((r) => r.status === 202)).toHaveLength(1)
    for (const r of results.filter((x) => x.status !== 202)) expectLimited(r)
    expect(await taskCount(user.id)).toBe(3)
    expect(await creditsOf(user.id)).toBe(100 - 3 * 2)
    await expectLedgerMatchesBalance(user.id)
  })

  it('Retry-After counts until the oldest task leaves the window; a task older than an hour no longer counts', async () => {
    await setLimit(2)
    const user = await newUser('limit')
    const bindings = envWith()
    const first = dataOf(await post(bindings, user), createTaskRoute, 202).task
    expect((await post(bindings, user)).status).toBe(202)
    // Pretend the first task was created 50 minutes ago: it leaves the window in 10 minutes.
    await env.DB.prepare('UPDATE tasks SET created_at = ?2 WHERE id = ?1').bind(first.id, Date.now() - 50 * 60_000).run()
    const retryAfter = expectLimited(await post(bindings, user))
    expect(retryAfter).toBeGreaterThan(590)
    expect(retryAfter).toBeLessThanOrEqual(600)
    // Now 61 minutes old: outside the window, one more generation fits.
    await env.DB.prepare('UPDATE tasks SET created_at = ?2 WHERE id = ?1').bind(first.id, Date.now() - 61 * 60_000).run()
    expect((await post(bindings, user)).status).toBe(202)
    expectLimited(await post(bindings, user))
  })

  it('admins have no limit', async () => {
    await setLimit(2)
    const admin = await newUser('limitadm')
    await makeAdmin(admin.id)
    const results = await Promise.all(Array.from({ length: 6 }, () => post(envWith(), admin)))
    expect(results.map((r) => r.status)).toEqual(Array(6).fill(202))
  })

  it('0 means no limit', async () => {
    await setLimit(0)
    const user = await newUser('limit')
    await grantCredits(user.id, 100)
    const results = await Promise.all(Array.from({ length: 14 }, () => post(envWith(), user)))
    expect(results.map((r) => r.status)).toEqual(Array(14).fill(202))
  })

  it('a changed setting applies to the next request', async () => {
    await setLimit(1)
    const user = await newUser('limit')
    const bindings = envWith()
    expect((await post(bindings, user)).status).toBe(202)
    expectLimited(await post(bindings, user))
    await setLimit(2)
    expect((await post(bindings, user)).status).toBe(202)
    expectLimited(await post(bindings, user))
  })

  it('an Idempotency-Key replay is not a new generation: it still answers the original task at the limit', async () => {
    await setLimit(1)
    const user = await newUser('limit')
    const bindings = envWith()
    const created = dataOf(await post(bindings, user, { 'Idempotency-Key': 'gen-1' }), createTaskRoute, 202).task
    const replay = await post(bindings, user, { 'Idempotency-Key': 'gen-1' })
    expect(dataOf(replay, createTaskRoute, 202).task.id).toBe(created.id)
    expect(replay.res.headers.get('Idempotent-Replayed')).toBe('true')
    expectLimited(await post(bindings, user, { 'Idempotency-Key': 'gen-2' }))
    expect(await creditsOf(user.id)).toBe(98)
  })

  it('parallel requests with one key at the limit: one task, the others replay it (never 429)', async () => {
    await setLimit(1)
    const user = await newUser('limit')
    const bindings = envWith()
    const results = await Promise.all(Array.from({ length: 6 }, () => post(bindings, user, { 'Idempotency-Key': 'same' })))
    expect(results.map((r) => r.status)).toEqual(Array(6).fill(202))
    expect(new Set(results.map((r) => dataOf(r, createTaskRoute, 202).task.id)).size).toBe(1)
    expect(await taskCount(user.id)).toBe(1)
  })

  it('a short balance is reported before the limit (402: waiting would not help)', async () => {
    await setLimit(1)
    const user = await newUser('limit')
    const bindings = envWith()
    expect((await post(bindings, user)).status).toBe(202)
    await env.DB.prepare('UPDATE users SET credits = 0 WHERE id = ?1').bind(user.id).run()
    expectError(await post(bindings, user), 402, 'INSUFFICIENT_CREDITS')
  })
})
