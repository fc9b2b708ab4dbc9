import { env } from 'cloudflare:test'
import { exports } from 'cloudflare:workers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { receiveProviderCallbackRoute, reportTaskCompleteRoute, reportTaskFailedRoute } from '../../src/features/callbacks/routes'
import type { TaskDto } from '../../src/features/tasks/schemas'
import { dataOf, expectError, newUser, type TestUser } from '../helpers'
import { makePng } from '../support/images'
import {
  base64, creditsOf, deliver, envWith, expectLedgerMatchesBalance, imageRowsOf, ledgerCount, mockFetch, queuedTask, signedHeaders, taskRow,
} from '../support/generation'

afterEach(() => vi.restoreAllMocks())

/** A task of the webhook (n8n) provider, queued but not sent anywhere: callbacks drive it. */
async function webhookTask(body: Record<string, unknown> = {}): Promise<{ user: TestUser; task: TaskDto }> {
  const user = await newUser('hook')
  const task = await queuedTask(envWith({ GENERATION_PROVIDER: 'webhook' }), user.accessToken, { prompt: 'a neon koi', ...body })
  return { user, task }
}

const HOOK = '/api/callbacks/webhook'

async function webhookEventCount() {
  return (await env.DB.prepare('SELECT count(*) AS n FROM webhook_events').first<{ n: number }>())!.n
}

describe('POST /api/callbacks/webhook', () => {
  it('progress moves the task to running and records the percentage', async () => {
    const { task } = await webhookTask()
    const r = await deliver(HOOK, { taskId: task.id, status: 'progress', progress: 40 })
    expect(r.status).toBe(200)
    expect(dataOf(r, receiveProviderCallbackRoute, 200)).toEqual({ received: true, duplicate: false, effect: 'progress' })
    expect(await taskRow(task.id)).toMatchObject({ status: 'running', progress: 40 })
    // Progress never goes backwards (a late, smaller report is stale).
    await deliver(HOOK, { taskId: task.id, status: 'running', progress: 25 })
    expect((await taskRow(task.id)).progress).toBe(40)
  })

  it('succeeded with image URLs downloads them right away and stores private generated images with thumbs', async () => {
    const { user, task } = await webhookTask({ batchSize: 2 })
    const png = await makePng(64, 48)
    const { seen } = mockFetch((req) => (req.url.startsWith('https://cdn.n8n.test/') ? new Response(png, { headers: { 'content-type': 'image/png' } }) : undefined))
    const r = await deliver(HOOK, { taskId: task.id, status: 'succeeded', images: ['https://cdn.n8n.test/out/1.png', { url: 'https://cdn.n8n.test/out/2.png' }] })
    expect(r.status).toBe(200)
    expect(dataOf(r, receiveProviderCallbackRoute, 200).effect).toBe('completed')
    expect(seen.map((s) => s.url)).toEqual(['https://cdn.n8n.test/out/1.png', 'https://cdn.n8n.test/out/2.png'])
    expect(await taskRow(task.id)).toMatchObject({ status: 'succeeded', progress: 100 })
    const images = await imageRowsOf(task.id)
    expect(images).toHaveLength(2)
    for (const image of images) {
      expect(image).toMatchObject({ owner_id: user.id, type: 'generated', visibility: 'private', width: 64, height: 48 })
      expect(await env.MEDIA.head(image.thumb_key)).not.toBeNull()
    }
    expect(await ledgerCount(task.id, 'task_refund')).toBe(0)
  })

  it('accepts results inline as base64 or data URLs', async () => {
    const { task } = await webhookTask({ batchSize: 2 })
    const png = await makePng(32, 32)
    const r = await deliver(HOOK, { taskId: task.id, status: 'completed', images: [{ base64: base64(png) }, { data: `data:image/png;base64,${base64(png)}` }] })
    expect(dataOf(r, receiveProviderCallbackRoute, 200).effect).toBe('completed')
    expect((await taskRow(task.id)).status).toBe('succeeded')
    expect(await imageRowsOf(task.id)).toHaveLength(2)
  })

  it('failed ends the task with the reported error and refunds exactly once', async () => {
    const { user, task } = await webhookTask({ size: '1024x1024' })
    expect(await creditsOf(user.id)).toBe(92)
    const r = await deliver(HOOK, { taskId: task.id, status: 'failed', error: 'CUDA out of memory' })
    expect(dataOf(r, receiveProviderCallbackRoute, 200).effect).toBe('failed')
    expect(await taskRow(task.id)).toMatchObject({ status: 'failed', error: 'CUDA out of memory' })
    // A second failure report (another delivery id) finds a finished task.
    const again = await deliver(HOOK, { taskId: task.id, status: 'failed', error: 'still broken' })
    expect(dataOf(again, receiveProviderCallbackRoute, 200)).toEqual({ received: true, duplicate: false, effect: 'ignored' })
    expect(await ledgerCount(task.id, 'task_refund')).toBe(1)
    expect(await creditsOf(user.id)).toBe(100)
    await expectLedgerMatchesBalance(user.id)
  })

  it('a success without images is a failure, refunded', async () => {
    const { user, task } = await webhookTask()
    expect(dataOf(await deliver(HOOK, { taskId: task.id, status: 'succeeded', images: [] }), receiveProviderCallbackRoute, 200).effect).toBe('failed')
    expect((await taskRow(task.id)).status).toBe('failed')
    expect(await creditsOf(user.id)).toBe(100)
  })

  it('a signed but malformed report is 400 and changes nothing', async () => {
    const { task } = await webhookTask()
    expectError(await deliver(HOOK, { taskId: task.id, status: 'exploded' }), 400, 'VALIDATION_ERROR')
    expectError(await deliver(HOOK, { status: 'failed' }), 400, 'VALIDATION_ERROR')
    expect((await taskRow(task.id)).status).toBe('queued')
  })
})

describe('n8n callback paths', () => {
  it('/api/callback/task-complete stores the images (imageUrls, images or results)', async () => {
    const png = await makePng(40, 40)
    mockFetch((req) => (req.url.startsWith('https://files.n8n.test/') ? new Response(png) : undefined))
    for (const field of ['imageUrls', 'images', 'results']) {
      const { task } = await webhookTask()
      const r = await deliver('/api/callback/task-complete', { taskId: task.id, [field]: [`https://files.n8n.test/${field}.png`] })
      expect(r.status).toBe(200)
      expect(dataOf(r, reportTaskCompleteRoute, 200).effect).toBe('completed')
      expect((await taskRow(task.id)).status).toBe('succeeded')
      expect(await imageRowsOf(task.id)).toHaveLength(1)
    }
  })

  it('/api/callback/task-failed fails and refunds once', async () => {
    const { user, task } = await webhookTask()
    const r = await deliver('/api/callback/task-failed', { taskId: task.id, error: 'workflow error in node "KSampler"' })
    expect(dataOf(r, reportTaskFailedRoute, 200).effect).toBe('failed')
    expect(await taskRow(task.id)).toMatchObject({ status: 'failed', error: 'workflow error in node "KSampler"' })
    await deliver('/api/callback/task-failed', { taskId: task.id })
    expect(await ledgerCount(task.id, 'task_refund')).toBe(1)
    expect(await creditsOf(user.id)).toBe(100)
  })
})

describe('signature verification (Standard Webhooks)', () => {
  const send = (body: string, headers: Record<string, string>) =>
    exports.default.fetch(new Request(`http://localhost${HOOK}`, { method: 'POST', headers, body })).then(async (res) => ({ res, status: res.status, body: (await res.json()) as unknown }))

  it('refuses bad, missing, tampered and stale signatures with 401 INVALID_SIGNATURE, changing nothing', async () => {
    const { task } = await webhookTask()
    const events = await webhookEventCount()
    const body = JSON.stringify({ taskId: task.id, status: 'failed', error: 'forged' })
    const now = Math.floor(Date.now() / 1000)
    const good = await signedHeaders(body)
    const attempts: Array<[string, Record<string, string>, string?]> = [
      ['wrong secret', await signedHeaders(body, { secret: 'whsec_' + btoa('not-the-shared-secret-at-all!!') })],
      ['no webhook-signature', { ...good, 'webhook-signature': '' }],
      ['no webhook-id', { ...good, 'webhook-id': '' }],
      ['no webhook-timestamp', { ...good, 'webhook-timestamp': '' }],
      ['signature of another body', await signedHeaders(JSON.stringify({ taskId: task.id, status: 'progress', progress: 1 }))],
      ['signature for another id', { ...(await signedHeaders(body)), 'webhook-id': 'msg_swapped' }],
      ['timestamp 6 minutes old', await signedHeaders(body, { timestamp: now - 360 })],
      ['timestamp 6 minutes ahead', await signedHeaders(body, { timestamp: now + 360 })],
      ['not a v1 signature', { ...good, 'webhook-signature': good['webhook-signature'].replace('v1,', 'v2,') }],
      ['garbage signature', { ...good, 'webhook-signature': 'v1,!!!not-base64!!!' }],
    ]
    for (const [why, headers] of attempts) {
      const r = await send(body, Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== '')))
      expect(r.status, why).toBe(401)
      expectError(r, 401, 'INVALID_SIGNATURE')
    }
    // Unsigned garbage is 401 as well, not a 400 about the body.
    expectError(await send('this is not json', { 'content-type': 'application/json' }), 401, 'INVALID_SIGNATURE')
    expect(await taskRow(task.id)).toMatchObject({ status: 'queued', progress: 0, error: null })
    expect(await webhookEventCount()).toBe(events)
  })

  it('accepts a timestamp within the 5 minute tolerance and one matching signature among several', async () => {
    const { task } = await webhookTask()
    const body = JSON.stringify({ taskId: task.id, status: 'progress', progress: 12 })
    const headers = await signedHeaders(body, { timestamp: Math.floor(Date.now() / 1000) - 240 })
    // Secret rotation: senders may list several signatures, separated by spaces.
    headers['webhook-signature'] = `v1,${btoa('an old signature that does not match!')} ${headers['webhook-signature']}`
    expect((await send(body, headers)).status).toBe(200)
    expect((await taskRow(task.id)).progress).toBe(12)
  })

  it('the same webhook-id twice: the second is acknowledged as a duplicate and changes nothing', async () => {
    const { task } = await webhookTask()
    const first = await deliver(HOOK, { taskId: task.id, status: 'progress', progress: 30 }, { id: 'msg_repeat_1' })
    expect(dataOf(first, receiveProviderCallbackRoute, 200).duplicate).toBe(false)
    // A resend under the same id, even with other (validly signed) content, is the same delivery.
    const second = await deliver(HOOK, { taskId: task.id, status: 'progress', progress: 90 }, { id: 'msg_repeat_1' })
    expect(second.status).toBe(200)
    expect(dataOf(second, receiveProviderCallbackRoute, 200)).toEqual({ received: true, duplicate: true, effect: 'ignored' })
    expect((await taskRow(task.id)).progress).toBe(30)
  })
})

describe('late, reordered and stray callbacks', () => {
  it('after success, a late progress or failure leaves the task succeeded and unrefunded', async () => {
    const { user, task } = await webhookTask()
    const png = await makePng(16, 16)
    await deliver(HOOK, { taskId: task.id, status: 'succeeded', images: [{ base64: base64(png) }] })
    const late = await deliver(HOOK, { taskId: task.id, status: 'progress', progress: 50 })
    expect(dataOf(late, receiveProviderCallbackRoute, 200).effect).toBe('ignored')
    const failed = await deliver(HOOK, { taskId: task.id, status: 'failed', error: 'timeout' })
    expect(dataOf(failed, receiveProviderCallbackRoute, 200).effect).toBe('ignored')
    const failedN8n = await deliver('/api/callback/task-failed', { taskId: task.id, error: 'timeout' })
    expect(dataOf(failedN8n, reportTaskFailedRoute, 200).effect).toBe('ignored')
    expect(await taskRow(task.id)).toMatchObject({ status: 'succeeded', progress: 100, error: null })
    expect(await ledgerCount(task.id, 'task_refund')).toBe(0)
    expect(await creditsOf(user.id)).toBe(98)
  })

  it('a success after the user canceled is ignored and stores nothing', async () => {
    const { user, task } = await webhookTask()
    await exports.default.fetch(new Request(`http://localhost/api/tasks/${task.id}/cancel`, { method: 'POST', headers: { Authorization: `Bearer ${user.accessToken}` } }))
    const r = await deliver(HOOK, { taskId: task.id, status: 'succeeded', images: [{ base64: base64(await makePng(8, 8)) }] })
    expect(dataOf(r, receiveProviderCallbackRoute, 200).effect).toBe('ignored')
    expect((await taskRow(task.id)).status).toBe('canceled')
    expect(await imageRowsOf(task.id)).toEqual([])
    expect(await ledgerCount(task.id, 'task_refund')).toBe(1)
  })

  it('unknown tasks, and tasks of another provider, are acknowledged without effect', async () => {
    const unknown = await deliver(HOOK, { taskId: 'tsk_nobody', status: 'failed', error: 'x' })
    expect(unknown.status).toBe(200)
    expect(dataOf(unknown, receiveProviderCallbackRoute, 200)).toEqual({ received: true, duplicate: false, effect: 'ignored' })
    // A local-provider task cannot be driven by webhook callbacks.
    const user = await newUser('hook')
    const local = await queuedTask(envWith(), user.accessToken)
    expect(dataOf(await deliver(HOOK, { taskId: local.id, status: 'failed', error: 'x' }), receiveProviderCallbackRoute, 200).effect).toBe('ignored')
    expect((await taskRow(local.id)).status).toBe('queued')
    expect(await creditsOf(user.id)).toBe(98)
  })
})
