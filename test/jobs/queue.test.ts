import { createScheduledController, env } from 'cloudflare:test'
import { afterEach, describe, expect, it, vi } from 'vitest'
import worker from '../../src/index'
import { sweepStuckTasks } from '../../src/jobs/scheduled'
import { newUser } from '../helpers'
import {
  creditsOf, envWith, expectLedgerMatchesBalance, generate, imageRowsOf, ledgerCount, mockFetch, queuedTask, r2KeysOf, runQueue, taskRow,
} from '../support/generation'

afterEach(() => vi.restoreAllMocks())

const webhookEnv = () => envWith({ GENERATION_PROVIDER: 'webhook', WEBHOOK_PROVIDER_URL: 'https://n8n.test/webhook/generate', PUBLIC_BASE_URL: 'https://darkroom.example' })

describe('redelivery', () => {
  it('a redelivered message never processes a finished task again', async () => {
    const user = await newUser('redeliver')
    const bindings = envWith()
    const task = await queuedTask(bindings, user.accessToken, { prompt: 'only once', batchSize: 2 })
    const first = await runQueue(bindings, [generate(task.id)])
    expect(first.explicitAcks).toEqual(first.ids)
    const after1 = await taskRow(task.id)
    const images1 = await imageRowsOf(task.id)
    const keys1 = (await r2KeysOf(user.id, task.id)).sort()
    expect(after1.status).toBe('succeeded')

    const second = await runQueue(bindings, [generate(task.id)], { attempts: 2 })
    expect(second.explicitAcks).toEqual(second.ids)
    expect(second.retryMessages).toEqual([])
    expect(await taskRow(task.id)).toEqual(after1)
    expect(await imageRowsOf(task.id)).toEqual(images1)
    expect((await r2KeysOf(user.id, task.id)).sort()).toEqual(keys1)
    expect(await ledgerCount(task.id, 'task_charge')).toBe(1)
    expect(await creditsOf(user.id)).toBe(96)
  })

  it('two deliveries of the same message at once store one set of images and charge once', async () => {
    const user = await newUser('redeliver')
    const bindings = envWith()
    const task = await queuedTask(bindings, user.accessToken, { prompt: 'twice at once', batchSize: 2 })
    // Two batches in parallel plus a batch carrying the message twice: at-least-once delivery.
    await Promise.all([runQueue(bindings, [generate(task.id)]), runQueue(bindings, [generate(task.id), generate(task.id)])])
    const row = await taskRow(task.id)
    expect(row.status).toBe('succeeded')
    const images = await imageRowsOf(task.id)
    expect(images).toHaveLength(2)
    expect(JSON.parse(row.result_image_ids!)).toEqual(images.map((i) => i.id))
    // The losing deliveries must not release the winner's images (two holders each: the
    // owner's record and the work the completion made of it).
    expect(images.every((i) => i.ref_count === 2)).toBe(true)
    for (const i of images) expect(await env.MEDIA.head(i.original_key)).not.toBeNull()
    expect(await ledgerCount(task.id, 'task_refund')).toBe(0)
    expect(await creditsOf(user.id)).toBe(96)
  })
})

describe('messages the consumer does not understand', () => {
  it('are acked, not retried (they would only poison the queue)', async () => {
    const result = await runQueue(envWith(), [{ type: 'resize', id: 1 }, 'plain text', null, { type: 'generate' }, { type: 'generate', taskId: 'tsk_gone' }])
    expect(result.explicitAcks.sort()).toEqual(result.ids.sort())
    expect(result.retryMessages).toEqual([])
  })
})

describe('provider failures and retries', () => {
  it('5xx from the provider retries with growing backoff, then a success submits the job', async () => {
    const user = await newUser('retry')
    const bindings = webhookEnv()
    const task = await queuedTask(bindings, user.accessToken)
    const answers = [new Response('upstream down', { status: 500 }), new Response('busy', { status: 503 }), Response.json({ executionId: 'exec-42' })]
    const { seen } = mockFetch((req) => (req.url === 'https://n8n.test/webhook/generate' ? answers.shift() : undefined))

    const r1 = await runQueue(bindings, [generate(task.id)], { attempts: 1 })
    expect(r1.retryMessages).toEqual([{ msgId: r1.ids[0], delaySeconds: 2 }])
    expect(r1.explicitAcks).toEqual([])
    const r2 = await runQueue(bindings, [generate(task.id)], { attempts: 2 })
    expect(r2.retryMessages).toEqual([{ msgId: r2.ids[0], delaySeconds: 4 }])
    // Retrying is not failing: no refund while the queue still has attempts left.
    expect((await taskRow(task.id)).status).toBe('running')
    expect(await ledgerCount(task.id, 'task_refund')).toBe(0)

    const r3 = await runQueue(bindings, [generate(task.id)], { attempts: 3 })
    expect(r3.explicitAcks).toEqual(r3.ids)
    expect(r3.retryMessages).toEqual([])
    expect(seen).toHaveLength(3)
    expect(await taskRow(task.id)).toMatchObject({ status: 'running', provider_job_id: 'exec-42' })
    expect(await creditsOf(user.id)).toBe(98)
  })

  it('network errors and 429 are retried too', async () => {
    const user = await newUser('retry')
    const bindings = webhookEnv()
    const task = await queuedTask(bindings, user.accessToken)
    mockFetch(() => {
      throw new TypeError('connection reset')
    })
    expect((await runQueue(bindings, [generate(task.id)])).retryMessages).toHaveLength(1)
    vi.restoreAllMocks()
    mockFetch(() => new Response('slow down', { status: 429 }))
    expect((await runQueue(bindings, [generate(task.id)])).retryMessages).toHaveLength(1)
    expect((await taskRow(task.id)).status).toBe('running')
  })

  it('a provider that refuses the job (4xx) fails the task at once with one refund', async () => {
    const user = await newUser('retry')
    const bindings = webhookEnv()
    const task = await queuedTask(bindings, user.accessToken)
    mockFetch(() => Response.json({ message: 'workflow inactive' }, { status: 404 }))
    const r = await runQueue(bindings, [generate(task.id)])
    expect(r.explicitAcks).toEqual(r.ids)
    expect(await taskRow(task.id)).toMatchObject({ status: 'failed', error: 'Generation service refused the job (404)' })
    expect(await ledgerCount(task.id, 'task_refund')).toBe(1)
    expect(await creditsOf(user.id)).toBe(100)
  })

  it('a misconfigured provider fails the task instead of retrying forever', async () => {
    const user = await newUser('retry')
    const task = await queuedTask(envWith({ GENERATION_PROVIDER: 'comfyui', COMFYUI_URL: 'https://comfy.test' }), user.accessToken)
    const r = await runQueue(envWith({ COMFYUI_URL: '' }), [generate(task.id)])
    expect(r.explicitAcks).toEqual(r.ids)
    expect(r.retryMessages).toEqual([])
    expect(await taskRow(task.id)).toMatchObject({ status: 'failed', error: expect.stringContaining('COMFYUI_URL') })
    expect(await creditsOf(user.id)).toBe(100)
  })
})

describe('dead letters', () => {
  it('a provider that always fails is retried on every delivery, then the dead letter fails and refunds once', async () => {
    const user = await newUser('dlq')
    const bindings = webhookEnv()
    const task = await queuedTask(bindings, user.accessToken, { prompt: 'doomed', size: '768x512' })
    mockFetch(() => new Response('gateway timeout', { status: 504 }))
    // wrangler.toml: max_retries = 5, so the platform delivers 6 times, then moves it to the DLQ.
    // Every delivery must ask for a retry (never ack, never fail the task itself).
    const delays: Array<number | undefined> = []
    for (let attempts = 1; attempts <= 6; attempts++) {
      const r = await runQueue(bindings, [generate(task.id)], { attempts })
      expect(r.explicitAcks).toEqual([])
      delays.push(r.retryMessages[0]?.delaySeconds)
    }
    expect(delays).toEqual([2, 4, 8, 16, 32, 64])
    expect((await runQueue(bindings, [generate(task.id)], { attempts: 12 })).retryMessages[0]?.delaySeconds).toBe(300)
    expect((await taskRow(task.id)).status).toBe('running')
    expect(await creditsOf(user.id)).toBe(97)

    const dead = await runQueue(bindings, [generate(task.id)], { queue: 'darkroom-generation-dlq' })
    expect(dead.explicitAcks).toEqual(dead.ids)
    expect(await taskRow(task.id)).toMatchObject({ status: 'failed', error: 'Generation failed after several attempts' })
    expect(await ledgerCount(task.id, 'task_refund')).toBe(1)
    expect(await creditsOf(user.id)).toBe(100)

    // The DLQ is at-least-once too: a second dead letter changes nothing.
    const again = await runQueue(bindings, [generate(task.id)], { queue: 'darkroom-generation-dlq' })
    expect(again.explicitAcks).toEqual(again.ids)
    expect(await ledgerCount(task.id, 'task_refund')).toBe(1)
    expect(await creditsOf(user.id)).toBe(100)
    await expectLedgerMatchesBalance(user.id)
  })

  it('a dead letter for a task that already succeeded changes nothing; unknown dead letters are acked', async () => {
    const user = await newUser('dlq')
    const bindings = envWith()
    const task = await queuedTask(bindings, user.accessToken)
    await runQueue(bindings, [generate(task.id)])
    const r = await runQueue(bindings, [generate(task.id), { what: 'ever' }, generate('tsk_unknown')], { queue: 'darkroom-generation-dlq' })
    expect(r.explicitAcks.sort()).toEqual(r.ids.sort())
    expect((await taskRow(task.id)).status).toBe('succeeded')
    expect(await ledgerCount(task.id, 'task_refund')).toBe(0)
    expect(await imageRowsOf(task.id)).toHaveLength(1)
  })
})

describe('cron sweep of stuck tasks', () => {
  it('fails and refunds tasks queued or running past TASK_TIMEOUT_SECONDS, once', async () => {
    const user = await newUser('sweep')
    const bindings = envWith()
    const stuckQueued = await queuedTask(bindings, user.accessToken, { prompt: 'lost message' })
    const stuckRunning = await queuedTask(bindings, user.accessToken, { prompt: 'provider never called back' })
    const fresh = await queuedTask(bindings, user.accessToken, { prompt: 'just queued' })
    const lateStart = await queuedTask(bindings, user.accessToken, { prompt: 'queued long, started recently' })
    const old = Date.now() - 901_000 // TASK_TIMEOUT_SECONDS is 900
    await env.DB.batch([
      env.DB.prepare('UPDATE tasks SET created_at = ?2 WHERE id = ?1').bind(stuckQueued.id, old),
      env.DB.prepare("UPDATE tasks SET status = 'running', created_at = ?2, started_at = ?2 WHERE id = ?1").bind(stuckRunning.id, old),
      env.DB.prepare("UPDATE tasks SET status = 'running', created_at = ?2, started_at = ?3 WHERE id = ?1").bind(lateStart.id, old, Date.now()),
    ])
    expect(await creditsOf(user.id)).toBe(92)

    // The Worker's cron entry point, as the */5 trigger calls it.
    await worker.scheduled(createScheduledController({ cron: '*/5 * * * *' }), env)

    for (const id of [stuckQueued.id, stuckRunning.id]) {
      expect(await taskRow(id)).toMatchObject({ status: 'failed', error: expect.stringMatching(/timed out/i) })
      expect(await ledgerCount(id, 'task_refund')).toBe(1)
    }
    expect((await taskRow(fresh.id)).status).toBe('queued')
    expect((await taskRow(lateStart.id)).status).toBe('running')
    expect(await creditsOf(user.id)).toBe(96)

    // The next run finds nothing new to refund.
    expect(await sweepStuckTasks(env)).toBe(0)
    expect(await creditsOf(user.id)).toBe(96)
    // With a shorter timeout (or later), the others are swept too.
    await sweepStuckTasks(envWith({ TASK_TIMEOUT_SECONDS: '60' }), Date.now() + 120_000)
    expect((await taskRow(fresh.id)).status).toBe('failed')
    expect((await taskRow(lateStart.id)).status).toBe('failed')
    expect(await creditsOf(user.id)).toBe(100)
    await expectLedgerMatchesBalance(user.id)
  })
})
