import { beforeAll, describe, expect, it } from 'vitest'
import { adminListTasksRoute } from '../../src/features/admin/routes'
import { callJson, dataOf, expectError, newUser, type TestUser } from '../helpers'
import { makeAdmin } from '../support/generation'
import { seedTask } from './seed'

let admin: TestUser
let alice: TestUser
let bob: TestUser
const T0 = Date.parse('2026-03-01T12:00:00Z')
const ids: Record<string, string> = {}

beforeAll(async () => {
  admin = await newUser('tadmin')
  await makeAdmin(admin.id)
  alice = await newUser('talice')
  bob = await newUser('tbob')
  ids.a1 = await seedTask(alice.id, { status: 'succeeded', provider: 'replicate', createdAt: T0 })
  ids.a2 = await seedTask(alice.id, { status: 'failed', provider: 'comfyui', createdAt: T0 + 60_000, error: 'NSFW', errorCode: 'CONTENT_VIOLATION' })
  ids.b1 = await seedTask(bob.id, { status: 'failed', provider: 'replicate', createdAt: T0 + 120_000, error: 'timeout' })
  ids.b2 = await seedTask(bob.id, { status: 'queued', provider: 'local', createdAt: T0 + 180_000, cost: 8 })
})

const list = async (query = '') => dataOf(await callJson('GET', `/api/admin/tasks${query}`, undefined, { token: admin.accessToken }), adminListTasksRoute, 200)

describe('GET /api/admin/tasks', () => {
  it("lists every user's tasks newest first with the fields admins need", async () => {
    const page = await list()
    expect(page.items.map((t) => t.id)).toEqual([ids.b2, ids.b1, ids.a2, ids.a1])
    expect(page.items[0]).toMatchObject({ userId: bob.id, username: bob.username, status: 'queued', provider: 'local', cost: 8, error: null, errorCode: null, finishedAt: null })
    expect(page.items[2]).toMatchObject({ userId: alice.id, username: alice.username, status: 'failed', error: 'NSFW', errorCode: 'CONTENT_VIOLATION', createdAt: new Date(T0 + 60_000).toISOString() })
    // A failure recorded without a code reads as the generic one, as on the user's task route.
    expect(page.items[1]).toMatchObject({ errorCode: 'GENERATION_FAILED' })
    expect(page.items[3]!.finishedAt).toBe(new Date(T0 + 1000).toISOString())
    expect(page.pagination).toMatchObject({ total: 4 })
  })

  it('filters by status, user, provider and creation time, and pages', async () => {
    expect((await list('?status=failed')).items.map((t) => t.id)).toEqual([ids.b1, ids.a2])
    expect((await list(`?userId=${alice.id}`)).items.map((t) => t.id)).toEqual([ids.a2, ids.a1])
    expect((await list('?provider=replicate')).items.map((t) => t.id)).toEqual([ids.b1, ids.a1])
    expect((await list(`?status=failed&userId=${bob.id}`)).items.map((t) => t.id)).toEqual([ids.b1])
    const from = new Date(T0 + 60_000).toISOString()
    const to = new Date(T0 + 180_000).toISOString()
    expect((await list(`?from=${from}&to=${to}`)).items.map((t) => t.id)).toEqual([ids.b1, ids.a2])
    const second = await list('?limit=3&page=2')
    expect(second.items.map((t) => t.id)).toEqual([ids.a1])
    expect(second.pagination).toMatchObject({ total: 4, totalPages: 2, hasNext: false, hasPrev: true })
    expect((await list('?userId=usr_nobody')).items).toEqual([])
  })

  it('bad filters are 400', async () => {
    const bad = ['?status=done', '?from=yesterday', `?from=${new Date(T0).toISOString()}&to=${new Date(T0).toISOString()}`, '?limit=101', `?provider=${'p'.repeat(33)}`]
    for (const q of bad) expectError(await callJson('GET', `/api/admin/tasks${q}`, undefined, { token: admin.accessToken }), 400, 'VALIDATION_ERROR')
  })
})
