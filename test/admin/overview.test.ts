import { describe, expect, it } from 'vitest'
import { adminOverviewRoute } from '../../src/features/admin/routes'
import { callJson, dataOf, dbRun, newUser } from '../helpers'
import { createSession } from '../support/live'
import { makeAdmin } from '../support/generation'
import { insertWork } from '../support/works'
import { seedLedger, seedOrder, seedSocketRow, seedTask, seedUser } from './seed'

const DAY = 86_400_000

// Storage is isolated per test file: this file's D1 holds exactly what it seeds below.
describe('GET /api/admin/stats/overview', () => {
  it('answers the numbers of a known state', async () => {
    const now = Date.now()
    const admin = await newUser('ov_admin')
    await makeAdmin(admin.id)
    const u1 = await newUser('ov_one')
    const u2 = await newUser('ov_two')
    // Created 10 days ago: not new; active only through a task 2 days ago.
    const old = await seedUser('ov_old', { createdAt: now - 10 * DAY })
    // Created 10 days ago, signed in 8 days ago, disabled: neither new nor active.
    await seedUser('ov_gone', { createdAt: now - 10 * DAY, lastLoginAt: now - 8 * DAY, disabledAt: now - DAY })

    await seedTask(old, { status: 'succeeded', createdAt: now - 2 * DAY })
    await seedTask(u1.id, { status: 'queued' })
    await seedTask(u1.id, { status: 'failed', error: 'boom', errorCode: 'GENERATION_FAILED' })
    await seedTask(u1.id, { status: 'succeeded' })

    // Ledger: 3 sign-up bonuses of 100 (newUser), a grant, an adjustment and seeded charge/refund/purchase.
    expect((await callJson('POST', '/api/credits/grant', { userId: u1.id, amount: 50 }, { token: admin.accessToken })).status).toBe(200)
    expect((await callJson('PUT', `/api/admin/users/${u2.id}`, { creditsDelta: -30, reason: 'test' }, { token: admin.accessToken })).status).toBe(200)
    await seedLedger(old, -10, 'task_charge')
    await seedLedger(old, 4, 'task_refund')
    await seedLedger(old, 20, 'purchase')

    await seedOrder(u1.id, { status: 'paid', currency: 'CNY', amountCents: 600, paidAt: now })
    await seedOrder(u1.id, { status: 'paid', currency: 'CNY', amountCents: 1200, paidAt: now - 3 * DAY, createdAt: now - 3 * DAY })
    await seedOrder(u2.id, { status: 'paid', currency: 'USD', amountCents: 999, paidAt: now })
    await seedOrder(u2.id, { status: 'pending', currency: 'CNY', amountCents: 600 })
    await seedOrder(u2.id, { status: 'expired', currency: 'USD', amountCents: 100 })

    await insertWork(u1.id, { reviewStatus: 'pending', isPublic: true })
    await insertWork(u1.id, { reviewStatus: 'pending', isPublic: true })
    await insertWork(u2.id, { published: true })

    const running = await createSession(u1.accessToken)
    const ended = await createSession(u1.accessToken)
    await dbRun("UPDATE live_sessions SET status = 'ended' WHERE id = ?1", ended.id)

    await seedSocketRow(`user:${u1.id}`, { devices: 2 })
    await seedSocketRow(`live:${running.id}`, { owners: 1, guests: 5 })
    // A row not refreshed for 14 hours belongs to a reset object: left out.
    await seedSocketRow(`user:${u2.id}`, { devices: 9 }, now - 14 * 3600_000)

    const data = dataOf(await callJson('GET', '/api/admin/stats/overview', undefined, { token: admin.accessToken }), adminOverviewRoute, 200)
    expect(data.users).toEqual({ total: 5, newToday: 3, new7d: 3, active7d: 4, disabled: 1, admins: 1 })
    expect(data.tasks).toEqual({ total: 4, today: 3, byStatus: { queued: 1, running: 0, succeeded: 2, failed: 1, canceled: 0 } })
    expect(data.credits).toEqual({
      issued: 300 + 50 + 20,
      spent: 10 - 4,
      byReason: { signup_bonus: 300, task_charge: -10, task_refund: 4, admin_grant: 50, admin_adjust: -30, purchase: 20 },
    })
    expect(data.orders).toEqual({
      total: 5,
      byStatus: { pending: 1, paid: 3, expired: 1, failed: 0, refunded: 0 },
      revenue: [
        { currency: 'CNY', amountCents: 1800, orders: 2, todayCents: 600 },
        { currency: 'USD', amountCents: 999, orders: 1, todayCents: 999 },
      ],
    })
    expect(data.works).toEqual({ pendingReview: 2 })
    expect(data.live).toEqual({ running: 1 })
    expect(data.sockets).toEqual({ connected: 8, userSockets: 2, liveOwners: 1, liveGuests: 5 })
  })
})
