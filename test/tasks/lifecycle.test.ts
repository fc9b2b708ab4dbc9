import { env } from 'cloudflare:test'
import { exports } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { listCreditRecordsRoute } from '../../src/features/credits/routes'
import { listImagesRoute } from '../../src/features/images/routes'
import { cancelTaskRoute, createTaskRoute, getQueueStatsRoute, listTasksRoute } from '../../src/features/tasks/routes'
import { call, callJson, dataOf, expectError, newUser } from '../helpers'
import { creditsOf, envWith, expectLedgerMatchesBalance, generate, imageRowsOf, ledgerCount, queuedTask, runQueue, taskRow, waitForTask } from '../support/generation'

describe('a local-provider task from request to result', () => {
  it.each([1, 4])('batchSize %i: queued → succeeded with progress 100 and that many private generated images', async (batchSize) => {
    const user = await newUser('life')
    // The real Worker and its real queue consumer: this is the path a client sees.
    const created = await callJson('POST', '/api/tasks', { prompt: 'a glass teapot', batchSize, seed: 7 }, { token: user.accessToken })
    const queued = dataOf(created, createTaskRoute, 202).task
    expect(queued).toMatchObject({ status: 'queued', progress: 0, images: [], cost: 2 * batchSize, estimatedTime: expect.any(Number), provider: 'local' })

    const task = await waitForTask(user.accessToken, queued.id)
    expect(task).toMatchObject({ status: 'succeeded', progress: 100, error: null })
    expect(task.startedAt).not.toBeNull()
    expect(Date.parse(task.finishedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(task.startedAt ?? ''))
    expect(Date.parse(task.startedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(task.createdAt))
    expect(task.images).toHaveLength(batchSize)
    for (const image of task.images) {
      expect(image).toMatchObject({ type: 'generated', visibility: 'private', taskId: task.id, mime: 'image/png', width: 512, height: 512 })
      expect(typeof image.thumbhash).toBe('string')
    }

    // Stored as the owner's images, with thumbs that serve, and private to everyone else.
    const rows = await imageRowsOf(task.id)
    expect(rows).toHaveLength(batchSize)
    expect(rows.every((r) => r.owner_id === user.id && r.type === 'generated' && r.visibility === 'private')).toBe(true)
    for (const r of rows) expect(await env.MEDIA.head(r.thumb_key)).not.toBeNull()
    const thumb = await call('GET', `/api/images/${rows[0]!.id}/thumb`, undefined, { token: user.accessToken })
    expect(thumb.status).toBe(200)
    expect(thumb.headers.get('Content-Type')).toMatch(/^image\//)
    const stranger = await newUser('life')
    expect((await call('GET', `/api/images/${rows[0]!.id}/original`, undefined, { token: stranger.accessToken })).status).toBe(404)
    // Generated images show up in the owner's image list, filtered by type.
    const mine = await callJson('GET', '/api/images?type=generated', undefined, { token: user.accessToken })
    expect(dataOf(mine, listImagesRoute, 200).items.map((i) => i.id).sort()).toEqual(rows.map((r) => r.id).sort())

    // Success keeps the charge: no refund.
    expect(await ledgerCount(task.id, 'task_refund')).toBe(0)
    expect(await creditsOf(user.id)).toBe(100 - 2 * batchSize)
  })
})

describe('history: GET /api/tasks and GET /api/tasks/:id', () => {
  it('lists my tasks newest first, filters by status, and paginates', async () => {
    const user = await newUser('hist')
    const other = await newUser('hist')
    const bindings = envWith()
    const done = dataOf(await callJson('POST', '/api/tasks', { prompt: 'finished one' }, { token: user.accessToken }), createTaskRoute, 202).task
    await waitForTask(user.accessToken, done.id)
    const queued = await queuedTask(bindings, user.accessToken, { prompt: 'still waiting' })
    await new Promise((resolve) => setTimeout(resolve, 3))
    const newest = await queuedTask(bindings, user.accessToken, { prompt: 'newest' })
    await queuedTask(bindings, other.accessToken, { prompt: 'not mine' })

    const list = async (q = '') => dataOf(await callJson('GET', `/api/tasks${q}`, undefined, { token: user.accessToken }), listTasksRoute, 200)
    const all = await list()
    expect(all.items.map((t) => t.id)).toEqual([newest.id, queued.id, done.id])
    expect(all.pagination).toMatchObject({ total: 3, page: 1 })
    expect((await list('?status=succeeded')).items.map((t) => t.id)).toEqual([done.id])
    expect((await list('?status=queued')).items.map((t) => t.id)).toEqual([newest.id, queued.id])
    expect((await list('?status=failed')).items).toEqual([])
    const page2 = await list('?limit=2&page=2')
    expect(page2.items.map((t) => t.id)).toEqual([done.id])
    expect(page2.pagination).toMatchObject({ total: 3, totalPages: 2, hasPrev: true, hasNext: false })
    // The succeeded task carries its images in the list too (it is the generation history).
    expect((await list('?status=succeeded')).items[0]!.images).toHaveLength(1)
    expectError(await callJson('GET', '/api/tasks?status=done', undefined, { token: user.accessToken }), 400, 'VALIDATION_ERROR')
    expectError(await callJson('GET', '/api/tasks'), 401, 'UNAUTHORIZED')
  })

  it("someone else's task is 404 on detail and on cancel, and stays untouched", async () => {
    const alice = await newUser('own')
    const bob = await newUser('own')
    const task = await queuedTask(envWith(), alice.accessToken)
    expectError(await callJson('GET', `/api/tasks/${task.id}`, undefined, { token: bob.accessToken }), 404, 'NOT_FOUND')
    expectError(await callJson('POST', `/api/tasks/${task.id}/cancel`, undefined, { token: bob.accessToken }), 404, 'NOT_FOUND')
    expectError(await callJson('GET', '/api/tasks/tsk_missing', undefined, { token: alice.accessToken }), 404, 'NOT_FOUND')
    expect((await taskRow(task.id)).status).toBe('queued')
    expect(await creditsOf(alice.id)).toBe(98)
    expect(dataOf(await callJson('GET', '/api/tasks', undefined, { token: bob.accessToken }), listTasksRoute, 200).items).toEqual([])
  })

  it('GET /api/tasks/stats/queue counts tasks by status and averages recent durations', async () => {
    // API.md: "counts by status, average duration". Currently answers 500 (see the report:
    // a bound parameter inside the raw SQL of the route's drizzle db.batch).
    const user = await newUser('stats')
    const bindings = envWith()
    const done = await queuedTask(bindings, user.accessToken)
    await runQueue(bindings, [generate(done.id)])
    await queuedTask(bindings, user.accessToken)
    const stats = dataOf(await callJson('GET', '/api/tasks/stats/queue', undefined, { token: user.accessToken }), getQueueStatsRoute, 200)
    expect(stats.mine).toEqual({ queued: 1, running: 0, succeeded: 1, failed: 0, canceled: 0 })
    expect(stats.queue.succeeded).toBeGreaterThanOrEqual(1)
    expect(stats.averageDurationSeconds).toEqual(expect.any(Number))
    expect(stats.averageDurationSeconds).toBeGreaterThanOrEqual(0)
  })

})

describe('POST /api/tasks/:id/cancel', () => {
  const cancel = (token: string, id: string) => callJson('POST', `/api/tasks/${id}/cancel`, undefined, { token })

  it('a queued task is canceled and refunded once; a second cancel is 409 and refunds nothing', async () => {
    const user = await newUser('cancel')
    // Queued through a capturing queue, so no consumer can start it before the cancel.
    const bindings = envWith()
    const task = await queuedTask(bindings, user.accessToken, { prompt: 'never mind', size: '1024x1024' })
    expect(await creditsOf(user.id)).toBe(92)

    const r = await cancel(user.accessToken, task.id)
    const canceled = dataOf(r, cancelTaskRoute, 200).task
    expect(canceled).toMatchObject({ id: task.id, status: 'canceled', images: [] })
    expect(canceled.finishedAt).not.toBeNull()
    expect(await creditsOf(user.id)).toBe(100)
    const refund = dataOf(await callJson('GET', '/api/credits/records?reason=task_refund', undefined, { token: user.accessToken }), listCreditRecordsRoute, 200).items
    expect(refund).toEqual([expect.objectContaining({ amount: 8, taskId: task.id, balanceAfter: 100 })])

    const again = await cancel(user.accessToken, task.id)
    expectError(again, 409, 'CONFLICT')
    expect(await ledgerCount(task.id, 'task_refund')).toBe(1)
    expect(await creditsOf(user.id)).toBe(100)

    // The message still in the queue finds a canceled task and does nothing.
    const result = await runQueue(bindings, bindings.sent.map((m) => m.body))
    expect(result.explicitAcks).toEqual(result.ids)
    expect((await taskRow(task.id)).status).toBe('canceled')
    expect(await imageRowsOf(task.id)).toEqual([])
    await expectLedgerMatchesBalance(user.id)
  })

  it('a succeeded task cannot be canceled (409) and keeps its charge and images', async () => {
    const user = await newUser('cancel')
    const bindings = envWith()
    const task = await queuedTask(bindings, user.accessToken)
    await runQueue(bindings, [generate(task.id)])
    expect((await taskRow(task.id)).status).toBe('succeeded')
    const r = await cancel(user.accessToken, task.id)
    expect(expectError(r, 409, 'CONFLICT').details).toEqual({ status: 'succeeded' })
    expect(await ledgerCount(task.id, 'task_refund')).toBe(0)
    expect(await creditsOf(user.id)).toBe(98)
    expect(await imageRowsOf(task.id)).toHaveLength(1)
  })

  it('parallel cancels of one task refund exactly once', async () => {
    const user = await newUser('cancel')
    const task = await queuedTask(envWith(), user.accessToken)
    const results = await Promise.all(Array.from({ length: 8 }, () => exports.default.fetch(
      new Request(`http://localhost/api/tasks/${task.id}/cancel`, { method: 'POST', headers: { Authorization: `Bearer ${user.accessToken}` } }),
    )))
    const statuses = results.map((r) => r.status).sort()
    expect(statuses.filter((s) => s === 200)).toHaveLength(1)
    expect(statuses.filter((s) => s === 409)).toHaveLength(7)
    expect(await ledgerCount(task.id, 'task_refund')).toBe(1)
    expect(await creditsOf(user.id)).toBe(100)
  })
})
