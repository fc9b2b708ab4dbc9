import { createScheduledController, env } from 'cloudflare:test'
import { afterEach, describe, expect, it, vi } from 'vitest'
import worker from '../../src/index'
import { sweepStuckTasks } from '../../src/jobs/scheduled'
import { receiveProviderCallbackRoute, reportTaskCompleteRoute } from '../../src/features/callbacks/routes'
import { callApp, dataOf, expectError, newUser } from '../helpers'
import { makePng } from '../support/images'
import {
  base64, creditsOf, deliver, envWith, generate, imageRowsOf, ledgerCount, mockFetch, queuedTask, runQueue, signedHeaders, taskRow,
} from '../support/generation'

afterEach(() => vi.restoreAllMocks())

const HOOK = '/api/callbacks/webhook'

async function webhookTask(body: Record<string, unknown> = {}) {
  const user = await newUser('hard')
  const task = await queuedTask(envWith({ GENERATION_PROVIDER: 'webhook' }), user.accessToken, { prompt: 'a paper lantern', ...body })
  return { user, task }
}

const eventRecorded = async (id: string) => (await env.DB.prepare('SELECT 1 AS x FROM webhook_events WHERE id = ?1').bind(id).first()) !== null
const newId = () => `msg_hard_${crypto.randomUUID().slice(0, 12)}`

/** Standard Webhooks over raw bytes (independent of src/lib/webhooks.ts). */
async function signBytes(secret: string, id: string, timestamp: number, body: Uint8Array) {
  const key = await crypto.subtle.importKey('raw', Uint8Array.from(atob(secret.replace(/^whsec_/, '')), (ch) => ch.charCodeAt(0)), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
  const prefix = new TextEncoder().encode(`${id}.${timestamp}.`)
  const message = new Uint8Array(prefix.length + body.length)
  message.set(prefix)
  message.set(body, prefix.length)
  return `v1,${base64(new Uint8Array(await crypto.subtle.sign('HMAC', key, message)))}`
}

async function sendBytes(body: Uint8Array, signature: string, id: string, timestamp: number) {
  const headers = { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signature }
  return callApp(envWith(), 'POST', HOOK, body, { headers })
}

describe('signatures cover the raw body bytes', () => {
  it('a body starting with a UTF-8 BOM verifies against its bytes and is processed', async () => {
    const { task } = await webhookTask()
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(JSON.stringify({ taskId: task.id, status: 'progress', progress: 30 }))])
    const id = newId()
    const ts = Math.floor(Date.now() / 1000)
    const r = await sendBytes(bytes, await signBytes(env.WEBHOOK_SECRET, id, ts, bytes), id, ts)
    expect(r.status).toBe(200)
    expect(await taskRow(task.id)).toMatchObject({ status: 'running', progress: 30 })
  })

  it('invalid UTF-8 never verifies against its lossy text decoding, and signed invalid UTF-8 is a 400', async () => {
    const { task } = await webhookTask()
    const text = JSON.stringify({ taskId: task.id, status: 'failed', error: 'X' })
    const bytes = new TextEncoder().encode(text)
    bytes[bytes.lastIndexOf(0x58)] = 0xff // the "X" becomes an invalid byte; text() would read U+FFFD
    const lossy = new TextEncoder().encode(new TextDecoder().decode(bytes))
    const ts = Math.floor(Date.now() / 1000)
    const id = newId()
    expectError(await sendBytes(bytes, await signBytes(env.WEBHOOK_SECRET, id, ts, lossy), id, ts), 401, 'INVALID_SIGNATURE')
    expectError(await sendBytes(bytes, await signBytes(env.WEBHOOK_SECRET, id, ts, bytes), id, ts), 400, 'VALIDATION_ERROR')
    expect((await taskRow(task.id)).status).toBe('queued')
    expect(await eventRecorded(id)).toBe(false)
  })
})

describe('strict callback bodies', () => {
  it.each([
    ['an unknown field', { status: 'progress', progress: 10, debug: 'x'.repeat(10_000) }],
    ['an unknown status', { status: 'done' }],
    ['a wrong type', { status: 'progress', progress: '50' }],
    ['a wrong result item', { status: 'succeeded', images: [{ url: 'https://cdn.n8n.test/a.png', extra: 1 }] }],
  ])('%s is 400 VALIDATION_ERROR with details; nothing changes and the delivery id is not kept', async (_, fields) => {
    const { task } = await webhookTask()
    const id = newId()
    const r = await deliver(HOOK, { taskId: task.id, ...fields }, { id })
    expect(Array.isArray(expectError(r, 400, 'VALIDATION_ERROR').details)).toBe(true)
    expect(await taskRow(task.id)).toMatchObject({ status: 'queued', progress: 0 })
    expect(await eventRecorded(id)).toBe(false)
  })

  it('more images than the task asked for is 400, nothing stored, and the same delivery id can then succeed', async () => {
    const { task } = await webhookTask({ batchSize: 1 })
    const png = await makePng(24, 24)
    const id = newId()
    const two = await deliver(HOOK, { taskId: task.id, status: 'succeeded', images: [{ base64: base64(png) }, { base64: base64(png) }] }, { id })
    expectError(two, 400, 'VALIDATION_ERROR')
    expect(await imageRowsOf(task.id)).toHaveLength(0)
    expect(await eventRecorded(id)).toBe(false)
    const one = await deliver(HOOK, { taskId: task.id, status: 'succeeded', images: [{ base64: base64(png) }] }, { id })
    expect(dataOf(one, receiveProviderCallbackRoute, 200)).toEqual({ received: true, duplicate: false, effect: 'completed' })
  })
})

describe('webhook-id claim', () => {
  it('a delivery whose processing fails (5xx) is not recorded: the retry under the same id is processed', async () => {
    const { task } = await webhookTask()
    const png = await makePng(30, 30)
    let up = false
    mockFetch((req) => (req.url.startsWith('https://cdn.n8n.test/') ? (up ? new Response(png) : new Response('busy', { status: 503 })) : undefined))
    const id = newId()
    const payload = { taskId: task.id, status: 'succeeded', images: ['https://cdn.n8n.test/r.png'] }
    const first = await deliver(HOOK, payload, { id })
    expectError(first, 502, 'UPSTREAM_ERROR')
    expect(await eventRecorded(id)).toBe(false)
    expect((await taskRow(task.id)).status).toBe('running')
    up = true
    const retry = await deliver(HOOK, payload, { id })
    expect(dataOf(retry, receiveProviderCallbackRoute, 200)).toEqual({ received: true, duplicate: false, effect: 'completed' })
    expect(await eventRecorded(id)).toBe(true)
    const third = await deliver(HOOK, payload, { id })
    expect(dataOf(third, receiveProviderCallbackRoute, 200).duplicate).toBe(true)
  })

  it('concurrent deliveries of one id act once', async () => {
    const { user, task } = await webhookTask()
    const id = newId()
    const results = await Promise.all([0, 1, 2, 3].map(() => deliver(HOOK, { taskId: task.id, status: 'failed', error: 'x' }, { id })))
    expect(results.filter((r) => dataOf(r, receiveProviderCallbackRoute, 200).duplicate === false)).toHaveLength(1)
    expect(await ledgerCount(task.id, 'task_refund')).toBe(1)
    expect(await creditsOf(user.id)).toBe(100)
  })
})

describe('result downloads', () => {
  it('a host off the allowlist is 422 INVALID_IMAGE and is never fetched', async () => {
    const { task } = await webhookTask()
    const { seen } = mockFetch(() => new Response('nope'))
    for (const url of ['https://169.254.169.254/latest/meta-data', 'http://localhost:8787/api/x', 'https://cdn.n8n.test.evil.example/a.png', 'ftp://cdn.n8n.test/a.png']) {
      expectError(await deliver(HOOK, { taskId: task.id, status: 'succeeded', images: [{ url }] }), url.startsWith('ftp') ? 400 : 422, url.startsWith('ftp') ? 'VALIDATION_ERROR' : 'INVALID_IMAGE')
    }
    expect(seen).toEqual([])
    expect((await taskRow(task.id)).status).toBe('running')
  })

  it('a redirect is refused, not followed', async () => {
    const { task } = await webhookTask()
    const { seen } = mockFetch(() => new Response(null, { status: 302, headers: { location: 'http://169.254.169.254/' } }))
    expectError(await deliver(HOOK, { taskId: task.id, status: 'succeeded', images: ['https://cdn.n8n.test/moved.png'] }), 422, 'INVALID_IMAGE')
    expect(seen.map((s) => s.url)).toEqual(['https://cdn.n8n.test/moved.png'])
    expect(seen[0]!.url).not.toContain('169.254')
  })

  it('the body is capped while streaming, whatever Content-Length says', async () => {
    const user = await newUser('hard')
    const bindings = envWith({ GENERATION_PROVIDER: 'webhook', MAX_IMAGE_BYTES: '4096' })
    const task = await queuedTask(bindings, user.accessToken, { prompt: 'big' })
    let pulled = 0
    mockFetch(() => {
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          pulled++
          controller.enqueue(new Uint8Array(1024))
        },
      })
      // An unknown length: the cap must come from counting bytes.
      return new Response(stream, { headers: { 'content-type': 'image/png' } })
    })
    const payload = JSON.stringify({ taskId: task.id, status: 'succeeded', images: ['https://cdn.n8n.test/endless.png'] })
    const r = await callApp(bindings, 'POST', HOOK, payload, { headers: await signedHeaders(payload) })
    expectError(r, 422, 'INVALID_IMAGE')
    expect(pulled).toBeLessThan(20)
    expect((await taskRow(task.id)).status).toBe('running')
  })

  it('callback bodies accept inline results over the 1 MB JSON cap (up to the documented upload cap)', async () => {
    const { task } = await webhookTask()
    const png = await makePng(16, 16, { extraChunks: [['zpAd', new Uint8Array(1_200_000)]] })
    const r = await deliver('/api/callback/task-complete', { taskId: task.id, images: [{ base64: base64(png) }] })
    expect(r.status).toBe(200)
    expect(dataOf(r, reportTaskCompleteRoute, 200).effect).toBe('completed')
  })
})

const REPLICATE_SECRET = `whsec_${btoa('replicate-signing-secret-for-tests!')}`
const replicateEnv = (extra: Partial<Env> = {}) =>
  envWith({
    GENERATION_PROVIDER: 'replicate', REPLICATE_API_TOKEN: 'r8_test_token', REPLICATE_MODEL: 'stability-ai/sdxl',
    REPLICATE_WEBHOOK_SECRET: REPLICATE_SECRET, PUBLIC_BASE_URL: 'https://darkroom.example', ...extra,
  })

async function deliverReplicate(payload: Record<string, unknown>, query = '') {
  const raw = JSON.stringify(payload)
  return callApp(replicateEnv(), 'POST', `/api/callbacks/replicate${query}`, raw, { headers: await signedHeaders(raw, { secret: REPLICATE_SECRET }) })
}

describe('Replicate: a completion before the prediction id is saved', () => {
  async function runningWithoutJobId() {
    const user = await newUser('hard')
    const task = await queuedTask(replicateEnv(), user.accessToken, { prompt: 'a fast prediction' })
    await env.DB.prepare("UPDATE tasks SET status = 'running', started_at = ?2 WHERE id = ?1").bind(task.id, Date.now()).run()
    return { user, task }
  }

  it.each([
    ['the webhook URL in the signed body', (taskId: string) => ({ webhook: `https://darkroom.example/api/callbacks/replicate?taskId=${taskId}` }), () => ''],
    ['the taskId of the request URL', () => ({}), (taskId: string) => `?taskId=${taskId}`],
  ])('is matched through %s and binds the prediction to the task', async (_, bodyExtra, query) => {
    const { task } = await runningWithoutJobId()
    const png = await makePng(20, 20)
    mockFetch((req) => (req.url.startsWith('https://replicate.delivery/') ? new Response(png) : undefined))
    const predictionId = `pred-early-${crypto.randomUUID().slice(0, 8)}`
    const r = await deliverReplicate({ id: predictionId, status: 'succeeded', output: ['https://replicate.delivery/x/out.png'], ...bodyExtra(task.id) }, query(task.id))
    expect(dataOf(r, receiveProviderCallbackRoute, 200).effect).toBe('completed')
    expect(await taskRow(task.id)).toMatchObject({ status: 'succeeded', provider_job_id: predictionId })
  })

  it('a task already bound to another prediction is not taken over (503, unrecorded)', async () => {
    const { task } = await runningWithoutJobId()
    await env.DB.prepare("UPDATE tasks SET provider_job_id = 'pred-real' WHERE id = ?1").bind(task.id).run()
    const r = await deliverReplicate({ id: 'pred-other', status: 'failed', error: 'x' }, `?taskId=${task.id}`)
    expectError(r, 503, 'NOT_READY')
    expect(await taskRow(task.id)).toMatchObject({ status: 'running', provider_job_id: 'pred-real' })
  })

  it('outputs beyond batchSize are not downloaded', async () => {
    const { task } = await runningWithoutJobId()
    const png = await makePng(20, 20)
    const { seen } = mockFetch(() => new Response(png))
    const output = [1, 2, 3].map((n) => `https://replicate.delivery/x/${n}.png`)
    const r = await deliverReplicate({ id: 'pred-many', status: 'succeeded', output }, `?taskId=${task.id}`)
    expect(dataOf(r, receiveProviderCallbackRoute, 200).effect).toBe('completed')
    expect(seen).toHaveLength(1)
    expect(await imageRowsOf(task.id)).toHaveLength(1)
  })

  it('Replicate outputs must come from replicate.delivery (or REPLICATE_RESULT_HOSTS)', async () => {
    const { task } = await runningWithoutJobId()
    const { seen } = mockFetch(() => new Response('x'))
    expectError(await deliverReplicate({ id: 'pred-x', status: 'succeeded', output: ['https://attacker.example/a.png'] }, `?taskId=${task.id}`), 422, 'INVALID_IMAGE')
    expect(seen).toEqual([])
  })
})

describe('timeouts and cancels stop the job at the provider, after the refund', () => {
  it('the cron sweep cancels a timed-out Replicate prediction, and still refunds when Replicate is down', async () => {
    for (const replicateUp of [true, false]) {
      const user = await newUser('hard')
      const bindings = replicateEnv()
      const task = await queuedTask(bindings, user.accessToken, { prompt: 'slow' })
      await env.DB.prepare("UPDATE tasks SET status = 'running', provider_job_id = ?2, created_at = ?3, started_at = ?3 WHERE id = ?1")
        .bind(task.id, `pred-slow-${replicateUp}`, Date.now() - 901_000)
        .run()
      const { seen } = mockFetch(() => (replicateUp ? Response.json({ status: 'canceled' }) : new Response('down', { status: 502 })))
      await sweepStuckTasks(bindings)
      expect(await taskRow(task.id)).toMatchObject({ status: 'failed' })
      expect(await creditsOf(user.id)).toBe(100)
      expect(seen.map((s) => [s.method, s.url])).toContainEqual(['POST', `https://api.replicate.com/v1/predictions/pred-slow-${replicateUp}/cancel`])
      vi.restoreAllMocks()
    }
  })

  it('a job submitted after the user canceled is canceled at the provider at once', async () => {
    const user = await newUser('hard')
    const bindings = replicateEnv()
    const task = await queuedTask(bindings, user.accessToken, { prompt: 'too late' })
    const { seen } = mockFetch(async (req) => {
      if (req.url.endsWith('/predictions')) {
        // The user cancels while the prediction is being created.
        await env.DB.prepare("UPDATE tasks SET status = 'canceled' WHERE id = ?1").bind(task.id).run()
        return Response.json({ id: 'pred-late', status: 'starting' }, { status: 201 })
      }
      return Response.json({ status: 'canceled' })
    })
    await runQueue(bindings, [generate(task.id)])
    expect(seen.map((s) => s.url)).toEqual(['https://api.replicate.com/v1/models/stability-ai/sdxl/predictions', 'https://api.replicate.com/v1/predictions/pred-late/cancel'])
  })
})

describe('cron: webhook_events pruning', () => {
  it('forgets delivery ids older than 7 days and keeps recent ones', async () => {
    const now = Date.now()
    const old = `msg_prune_old_${crypto.randomUUID().slice(0, 8)}`
    const recent = `msg_prune_recent_${crypto.randomUUID().slice(0, 8)}`
    await env.DB.batch([
      env.DB.prepare("INSERT INTO webhook_events (id, provider, received_at) VALUES (?1, 'webhook', ?2)").bind(old, now - 7 * 86_400_000 - 60_000),
      env.DB.prepare("INSERT INTO webhook_events (id, provider, received_at) VALUES (?1, 'webhook', ?2)").bind(recent, now - 6 * 86_400_000),
    ])
    await worker.scheduled(createScheduledController({ cron: '*/5 * * * *' }), env)
    expect(await eventRecorded(old)).toBe(false)
    expect(await eventRecorded(recent)).toBe(true)
  })
})

describe('dead letters stop the job at the provider, after the refund', () => {
  it('a dead-lettered Replicate task is refunded once and its prediction canceled', async () => {
    const user = await newUser('hard')
    const bindings = replicateEnv()
    const task = await queuedTask(bindings, user.accessToken, { prompt: 'never finishes' })
    await env.DB.prepare("UPDATE tasks SET status = 'running', provider_job_id = 'pred-dead' WHERE id = ?1").bind(task.id).run()
    const { seen } = mockFetch(() => Response.json({ status: 'canceled' }))
    await runQueue(bindings, [generate(task.id)], { queue: 'darkroom-generation-dlq' })
    expect(await taskRow(task.id)).toMatchObject({ status: 'failed' })
    expect(await ledgerCount(task.id, 'task_refund')).toBe(1)
    expect(seen.map((s) => [s.method, s.url])).toEqual([['POST', 'https://api.replicate.com/v1/predictions/pred-dead/cancel']])
  })
})
