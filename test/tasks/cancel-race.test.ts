import { env } from 'cloudflare:test'
import { exports } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { callApp, d1WithHook, expectError, newUser, type TestUser } from '../helpers'
import {
  creditsOf, envWith, expectLedgerMatchesBalance, generate, imageRowsOf, ledgerCount, queuedTask, r2KeysOf, runQueue, taskRow,
} from '../support/generation'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const cancelViaWorker = (user: TestUser, id: string) =>
  exports.default.fetch(new Request(`http://localhost/api/tasks/${id}/cancel`, { method: 'POST', headers: { Authorization: `Bearer ${user.accessToken}` } }))

/**
 * The only two legal end states of a cancel racing a completion:
 * succeeded (images kept, charge kept, no refund) or canceled (exactly one refund, no images left).
 */
async function expectOneCleanEnd(user: TestUser, taskId: string, cancelStatus: number) {
  const row = await taskRow(taskId)
  const refunds = await ledgerCount(taskId, 'task_refund')
  const images = await imageRowsOf(taskId)
  const keys = await r2KeysOf(user.id, taskId)
  expect(await ledgerCount(taskId, 'task_charge')).toBe(1)
  if (row.status === 'succeeded') {
    expect(cancelStatus).toBe(409)
    expect(refunds).toBe(0)
    expect(images).toHaveLength(1)
    expect(JSON.parse(row.result_image_ids!)).toEqual(images.map((i) => i.id))
    expect(keys.length).toBeGreaterThan(0)
  } else {
    expect(row.status).toBe('canceled')
    expect(cancelStatus).toBe(200)
    expect(refunds).toBe(1)
    expect(images).toEqual([])
    expect(keys).toEqual([])
    expect(row.result_image_ids).toBeNull()
  }
  return row.status
}

describe('cancel racing the queue consumer', () => {
  it('many rounds of cancel vs. generation: always exactly one clean end state', async () => {
    const user = await newUser('race')
    const bindings = envWith()
    const outcomes: string[] = []
    for (let round = 0; round < 10; round++) {
      const task = await queuedTask(bindings, user.accessToken, { prompt: `race round ${round}`, seed: round })
      // Spread the cancel over the render so it lands before the claim, mid-render and after.
      const [cancelRes] = await Promise.all([
        sleep(round * 12).then(() => cancelViaWorker(user, task.id)),
        runQueue(bindings, [generate(task.id)]),
      ])
      outcomes.push(await expectOneCleanEnd(user, task.id, cancelRes.status))
    }
    // Whatever mix happened, the money adds up: every canceled task was refunded once.
    const canceled = outcomes.filter((o) => o === 'canceled').length
    expect(await creditsOf(user.id)).toBe(100 - 2 * 10 + 2 * canceled)
    await expectLedgerMatchesBalance(user.id)
  })

  it('a cancel that lands after the images were stored but before success releases them', async () => {
    const user = await newUser('race')
    const bindings = envWith()
    const task = await queuedTask(bindings, user.accessToken, { prompt: 'stored then canceled', batchSize: 2 })
    let cancelStatus = 0
    let storedBeforeCancel = 0
    // Fire the cancel at the exact moment the consumer is about to mark the task succeeded.
    const hooked = d1WithHook(/UPDATE tasks SET status = 'succeeded'/, async () => {
      // The images are in R2 and D1 at this point: the consumer must clean them up.
      storedBeforeCancel = (await imageRowsOf(task.id)).length
      cancelStatus = (await cancelViaWorker(user, task.id)).status
    })
    const result = await runQueue({ ...bindings, DB: hooked }, [generate(task.id)])
    expect(result.explicitAcks).toEqual(result.ids)
    expect(storedBeforeCancel).toBe(2)
    expect(cancelStatus).toBe(200)
    expect(await expectOneCleanEnd(user, task.id, cancelStatus)).toBe('canceled')
    expect(await imageRowsOf(task.id)).toEqual([])
    expect(await r2KeysOf(user.id, task.id)).toEqual([])
    expect(await ledgerCount(task.id, 'task_refund')).toBe(1)
    expect(await creditsOf(user.id)).toBe(100)
  })

  it('a completion that lands between the cancel reading the task and ending it wins: 409, no refund', async () => {
    const user = await newUser('race')
    const bindings = envWith()
    const task = await queuedTask(bindings, user.accessToken, { prompt: 'completed under the cancel' })
    // The cancel route has found the task queued; before its guarded update runs, the job finishes.
    const hooked = d1WithHook(/UPDATE tasks SET status = \?2/, async () => {
      await runQueue(bindings, [generate(task.id)])
    })
    const r = await callApp({ ...bindings, DB: hooked }, 'POST', `/api/tasks/${task.id}/cancel`, undefined, { token: user.accessToken })
    expectError(r, 409, 'CONFLICT')
    expect(await expectOneCleanEnd(user, task.id, r.status)).toBe('succeeded')
    expect(await creditsOf(user.id)).toBe(98)
  })
})

describe('images of canceled tasks', () => {
  it('a canceled task never exposes images through the API', async () => {
    const user = await newUser('race')
    const bindings = envWith()
    const task = await queuedTask(bindings, user.accessToken)
    expect((await cancelViaWorker(user, task.id)).status).toBe(200)
    await runQueue(bindings, [generate(task.id)])
    const detail = (await (await exports.default.fetch(new Request(`http://localhost/api/tasks/${task.id}`, { headers: { Authorization: `Bearer ${user.accessToken}` } }))).json()) as {
      data: { task: { status: string; images: unknown[] } }
    }
    expect(detail.data.task).toMatchObject({ status: 'canceled', images: [] })
    const rows = await env.DB.prepare("SELECT count(*) AS n FROM images WHERE owner_id = ?1 AND type = 'generated'").bind(user.id).first<{ n: number }>()
    expect(rows!.n).toBe(0)
  })
})
