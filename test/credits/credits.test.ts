import { env } from 'cloudflare:test'
import { z } from '@hono/zod-openapi'
import { describe, expect, it } from 'vitest'
import { getMeRoute } from '../../src/features/auth/routes'
import { getBalanceRoute, listCreditRecordsRoute } from '../../src/features/credits/routes'
import { createTaskRoute } from '../../src/features/tasks/routes'
import { callApp, callJson, dataOf, expectError, newUser } from '../helpers'
import { creditsOf, envWith, expectLedgerMatchesBalance, ledgerOf, queuedTask } from '../support/generation'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('starting credits', () => {
  it('a new account has 100 credits, explained by one signup_bonus ledger entry', async () => {
    const user = await newUser('cred')
    const balance = await callJson('GET', '/api/credits/balance', undefined, { token: user.accessToken })
    expect(dataOf(balance, getBalanceRoute, 200)).toEqual({ balance: 100 })
    expect(dataOf(await callJson('GET', '/api/auth/me', undefined, { token: user.accessToken }), getMeRoute, 200).user.credits).toBe(100)

    const records = await callJson('GET', '/api/credits/records', undefined, { token: user.accessToken })
    const { items } = dataOf(records, listCreditRecordsRoute, 200)
    expect(items).toEqual([
      { id: expect.any(String), amount: 100, reason: 'signup_bonus', taskId: null, orderId: null, note: null, balanceAfter: 100, createdAt: expect.any(String) },
    ])
    expect(new Date(items[0]!.createdAt).toISOString()).toBe(items[0]!.createdAt)
  })

  it('balance and records need a token', async () => {
    expectError(await callJson('GET', '/api/credits/balance'), 401, 'UNAUTHORIZED')
    expectError(await callJson('GET', '/api/credits/records'), 401, 'UNAUTHORIZED')
  })
})

describe('GET /api/credits/records', () => {
  it('lists every change newest first, each with the balance after it, summing to the balance', async () => {
    const user = await newUser('cred')
    const other = await newUser('cred')
    const bindings = envWith()
    const costs: number[] = []
    for (const params of [{}, { size: '768x512' }, { size: '1024x1024' }]) {
      costs.push((await queuedTask(bindings, user.accessToken, { prompt: 'ledger', ...params })).cost)
      await sleep(3) // distinct timestamps, so "newest first" has one right answer
    }
    await queuedTask(bindings, other.accessToken) // someone else's spending never shows up here
    expect(costs).toEqual([2, 3, 8])

    const page = dataOf(await callJson('GET', '/api/credits/records', undefined, { token: user.accessToken }), listCreditRecordsRoute, 200)
    const { items } = page
    expect(items.map((i) => [i.reason, i.amount, i.balanceAfter])).toEqual([
      ['task_charge', -8, 87],
      ['task_charge', -3, 95],
      ['task_charge', -2, 98],
      ['signup_bonus', 100, 100],
    ])
    expect(items.slice(0, 3).every((i) => typeof i.taskId === 'string')).toBe(true)
    const { balance } = dataOf(await callJson('GET', '/api/credits/balance', undefined, { token: user.accessToken }), getBalanceRoute, 200)
    expect(items.reduce((sum, i) => sum + i.amount, 0)).toBe(balance)
    expect(items[0]!.balanceAfter).toBe(balance)
    expect(page.pagination).toEqual({ page: 1, limit: 20, total: 4, totalPages: 1, hasNext: false, hasPrev: false })

    const charges = await callJson('GET', '/api/credits/records?reason=task_charge', undefined, { token: user.accessToken })
    expect(dataOf(charges, listCreditRecordsRoute, 200).items).toHaveLength(3)
  })

  it('paginates with page and limit, without gaps or repeats', async () => {
    const user = await newUser('cred')
    const bindings = envWith()
    for (let i = 0; i < 4; i++) {
      await queuedTask(bindings, user.accessToken, { prompt: `page ${i}` })
      await sleep(3)
    }
    const get = (q: string) => callJson('GET', `/api/credits/records?${q}`, undefined, { token: user.accessToken })
    const records = async (q: string) => dataOf(await get(q), listCreditRecordsRoute, 200)
    const all = (await records('limit=100')).items.map((i) => i.id)
    expect(all).toHaveLength(5)
    const p1 = await records('limit=2&page=1')
    const p2 = await records('limit=2&page=2')
    const p3 = await records('limit=2&page=3')
    expect(p1.pagination).toEqual({ page: 1, limit: 2, total: 5, totalPages: 3, hasNext: true, hasPrev: false })
    expect(p3.pagination).toMatchObject({ page: 3, hasNext: false, hasPrev: true })
    expect([...p1.items, ...p2.items, ...p3.items].map((i) => i.id)).toEqual(all)
    expect((await records('limit=2&page=9')).items).toEqual([])
    for (const bad of ['limit=0', 'limit=101', 'page=0', 'reason=bribe']) expectError(await get(bad), 400, 'VALIDATION_ERROR')
  })
})

describe('concurrent spending', () => {
  it('50 parallel tasks on a balance that covers exactly 10: 10 accepted, 40 refused, balance ends at 0', async () => {
    const user = await newUser('race')
    // 512x512, 4 images, 37 steps: ceil(2 × 4 × 37/30) = 10 credits; 100 credits buy exactly 10.
    const body = { prompt: 'the same request fifty times', batchSize: 4, steps: 37 }
    // The app's fetch handler with a capturing queue (nothing needs rendering): all 50 requests
    // are in flight together against the same D1, and only its guarded batch keeps them honest.
    const bindings = envWith()
    const results = await Promise.all(Array.from({ length: 50 }, () => callApp(bindings, 'POST', '/api/tasks', body, { token: user.accessToken })))

    const accepted = results.filter((r) => r.status === 202)
    const refused = results.filter((r) => r.status === 402)
    expect(accepted).toHaveLength(10)
    expect(refused).toHaveLength(40)
    for (const r of refused) expectError(r, 402, 'INSUFFICIENT_CREDITS')
    const acceptedTasks = accepted.map((r) => dataOf(r, createTaskRoute, 202).task)
    expect(acceptedTasks.every((t) => t.cost === 10)).toBe(true)
    expect(new Set(acceptedTasks.map((t) => t.id)).size).toBe(10)

    expect(await creditsOf(user.id)).toBe(0)
    const ledger = await ledgerOf(user.id)
    expect(ledger.filter((r) => r.reason === 'task_charge')).toHaveLength(10)
    await expectLedgerMatchesBalance(user.id)
    // balance_after of the charges are 90, 80, ..., 0: each charge saw the previous one.
    expect(ledger.filter((r) => r.reason === 'task_charge').map((r) => r.balance_after).sort((a, b) => a - b)).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90])
    const tasks = await env.DB.prepare('SELECT count(*) AS n FROM tasks WHERE user_id = ?1').bind(user.id).first<{ n: number }>()
    expect(tasks!.n).toBe(10)
    // Exactly the accepted tasks were queued.
    const queued = z.array(z.object({ taskId: z.string() })).parse(bindings.sent.map((m) => m.body))
    expect(queued.map((m) => m.taskId).sort()).toEqual(acceptedTasks.map((t) => t.id).sort())
  })
})
