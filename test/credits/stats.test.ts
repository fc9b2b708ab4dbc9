import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { creditStatsRoute } from '../../src/features/payments/routes'
import { callJson, dataOf, expectError, newUser } from '../helpers'

// Statistics are read from the ledger: rows written here with known dates and reasons must add up
// exactly, per reason and per UTC day.

const DAY = 86_400_000

async function ledgerRow(userId: string, amount: number, reason: string, at: number) {
  await env.DB.prepare(
    `INSERT INTO credit_ledger (id, user_id, amount, reason, balance_after, created_at) VALUES (?1, ?2, ?3, ?4, 0, ?5)`,
  ).bind(`cl_stat_${crypto.randomUUID()}`, userId, amount, reason, at).run()
}

describe('GET /api/credits/stats', () => {
  it('sums the ledger by direction, reason and day', async () => {
    // Days are UTC days: never straddle midnight between writing the rows and reading the stats.
    const toMidnight = DAY - (Date.now() % DAY)
    if (toMidnight < 15_000) await new Promise((resolve) => setTimeout(resolve, toMidnight + 100))
    const user = await newUser('stats')
    const today = Math.floor(Date.now() / DAY) * DAY
    // newUser's signup bonus (100 today) is already on the ledger.
    await ledgerRow(user.id, 330, 'purchase', today + 1000)
    await ledgerRow(user.id, -12, 'task_charge', today + 2000)
    await ledgerRow(user.id, 4, 'task_refund', today - 2 * DAY)
    await ledgerRow(user.id, -8, 'task_charge', today - 2 * DAY + 5)
    // 40 days ago: in the totals, not in last30Days.
    await ledgerRow(user.id, -20, 'admin_adjust', today - 40 * DAY)
    const stats = dataOf(await callJson('GET', '/api/credits/stats', undefined, { token: user.accessToken }), creditStatsRoute, 200)
    expect(stats).toMatchObject({ earned: 434, spent: 40, refunded: 4, purchased: 330 })
    expect(stats.byReason).toEqual({ signup_bonus: 100, purchase: 330, task_charge: -20, task_refund: 4, admin_adjust: -20 })
    expect(stats.balance).toBe(100) // the users row; these hand-written rows do not move it
    expect(stats.last30Days).toHaveLength(30)
    expect(stats.last30Days[29]).toEqual({ date: new Date(today).toISOString().slice(0, 10), earned: 430, spent: 12 })
    expect(stats.last30Days[27]).toEqual({ date: new Date(today - 2 * DAY).toISOString().slice(0, 10), earned: 4, spent: 8 })
    expect(stats.last30Days.reduce((sum, d) => sum + d.spent, 0)).toBe(20)
  })

  it('answers zeros for an account with only its signup bonus, and 401 without a token', async () => {
    const user = await newUser('stats0')
    const stats = dataOf(await callJson('GET', '/api/credits/stats', undefined, { token: user.accessToken }), creditStatsRoute, 200)
    expect(stats).toMatchObject({ balance: 100, earned: 100, spent: 0, refunded: 0, purchased: 0, byReason: { signup_bonus: 100 } })
    expectError(await callJson('GET', '/api/credits/stats'), 401, 'UNAUTHORIZED')
  })
})
