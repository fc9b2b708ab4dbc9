import { createExecutionContext, createMessageBatch, env, getQueueResult } from 'cloudflare:test'
import { exports } from 'cloudflare:workers'
import { expect, vi } from 'vitest'
import worker from '../../src/index'
import { createTaskRoute, getTaskRoute } from '../../src/features/tasks/routes'
import type { TaskDto } from '../../src/features/tasks/schemas'
import { callApp, callJson, dataOf } from '../helpers'

/**
 * Helpers of the generation suites (tasks, scenes, models, credits, callbacks, jobs): a capturing
 * queue, the queue handler, task and ledger rows, signed provider callbacks, a fetch stand-in.
 * Calls through the app with other bindings use `callApp` from test/helpers.ts.
 */

export const TERMINAL = ['succeeded', 'failed', 'canceled']

/**
 * A GENERATION_QUEUE stand-in that only records what would be sent. Tasks created through it are
 * never seen by the real local queue consumer, which runs with the default test env (local
 * provider, no provider URLs): the test decides when, and with which env, a message is handled.
 */
export function captureQueue() {
  const sent: Array<{ body: unknown; options?: QueueSendOptions }> = []
  const queue = {
    async send(body: unknown, options?: QueueSendOptions) {
      sent.push({ body, options })
    },
    async sendBatch(messages: Iterable<MessageSendRequest>) {
      for (const m of messages) sent.push({ body: m.body })
    },
  }
  return { queue: queue as unknown as Queue, sent }
}

/** The test bindings with some replaced; the queue is a capturing stand-in unless overridden. */
export function envWith(overrides: Partial<Env> = {}): Env & { sent: ReturnType<typeof captureQueue>['sent'] } {
  const captured = captureQueue()
  return Object.assign({ ...env, GENERATION_QUEUE: captured.queue, ...overrides } as Env, { sent: captured.sent })
}

/** POST /api/tasks with `bindings`; throws unless 202, so setup failures are explicit. */
export async function queuedTask(bindings: Env, token: string, body: Record<string, unknown> = { prompt: 'a lighthouse at dusk' }) {
  const r = await callApp(bindings, 'POST', '/api/tasks', body, { token })
  if (r.status !== 202) throw new Error(`task not created: ${r.status} ${JSON.stringify(r.body)}`)
  return dataOf(r, createTaskRoute, 202).task
}

export const generate = (taskId: string) => ({ type: 'generate' as const, taskId })

let messageCounter = 0

/** Runs the Worker's queue handler on one batch and answers the acks and retries it recorded. */
export async function runQueue(bindings: Env, bodies: unknown[], opts: { queue?: string; attempts?: number } = {}) {
  const messages = bodies.map((body) => ({ id: `msg-${++messageCounter}`, timestamp: new Date(), attempts: opts.attempts ?? 1, body }))
  const batch = createMessageBatch(opts.queue ?? 'darkroom-generation', messages)
  // The plugin's test batch records that retry() was called but drops its options: keep the
  // requested backoff so tests can check it.
  const delays = new Map<string, number | undefined>()
  for (const message of batch.messages) {
    const retry = message.retry
    Object.defineProperty(message, 'retry', {
      value(options?: QueueRetryOptions) {
        delays.set(message.id, options?.delaySeconds)
        retry.call(message, options)
      },
    })
  }
  const ctx = createExecutionContext()
  await worker.queue(batch, bindings)
  const result = await getQueueResult(batch, ctx)
  const retryMessages = result.retryMessages.map((r) => ({ msgId: r.msgId, delaySeconds: delays.get(r.msgId) }))
  return { ...result, retryMessages, ids: messages.map((m) => m.id) }
}

export interface TaskRow {
  id: string
  user_id: string
  status: string
  progress: number
  cost: number
  error: string | null
  provider: string
  provider_job_id: string | null
  result_image_ids: string | null
  created_at: number
  started_at: number | null
  finished_at: number | null
}

export async function taskRow(id: string): Promise<TaskRow> {
  const row = await env.DB.prepare('SELECT * FROM tasks WHERE id = ?1').bind(id).first<TaskRow>()
  if (!row) throw new Error(`no task ${id}`)
  return row
}

export async function creditsOf(userId: string): Promise<number> {
  return (await env.DB.prepare('SELECT credits FROM users WHERE id = ?1').bind(userId).first<{ credits: number }>())!.credits
}

export interface LedgerRow {
  id: string
  amount: number
  reason: string
  task_id: string | null
  balance_after: number
  created_at: number
}

export async function ledgerOf(userId: string): Promise<LedgerRow[]> {
  const { results } = await env.DB.prepare('SELECT * FROM credit_ledger WHERE user_id = ?1 ORDER BY created_at, id').bind(userId).all<LedgerRow>()
  return results
}

/** Ledger rows of one task with `reason`. */
export async function ledgerCount(taskId: string, reason: 'task_charge' | 'task_refund'): Promise<number> {
  const row = await env.DB.prepare('SELECT count(*) AS n FROM credit_ledger WHERE task_id = ?1 AND reason = ?2').bind(taskId, reason).first<{ n: number }>()
  return row!.n
}

/** The invariant every money test ends with: the ledger explains the balance exactly. */
export async function expectLedgerMatchesBalance(userId: string) {
  const rows = await ledgerOf(userId)
  const balance = await creditsOf(userId)
  expect(rows.reduce((sum, r) => sum + r.amount, 0)).toBe(balance)
  expect(balance).toBeGreaterThanOrEqual(0)
}

/** Adds credits the way the admin grant does: balance and ledger row in one batch. */
export async function grantCredits(userId: string, amount: number) {
  const now = Date.now()
  await env.DB.batch([
    env.DB.prepare('UPDATE users SET credits = credits + ?2 WHERE id = ?1').bind(userId, amount),
    env.DB.prepare(
      `INSERT INTO credit_ledger (id, user_id, amount, reason, balance_after, created_at)
       SELECT ?1, id, ?3, 'admin_grant', credits, ?4 FROM users WHERE id = ?2`,
    ).bind(`cl_test_${crypto.randomUUID()}`, userId, amount, now),
  ])
}

export async function makeAdmin(userId: string) {
  await env.DB.prepare("UPDATE users SET role = 'admin' WHERE id = ?1").bind(userId).run()
}

/** Image rows (deleted or not) that belong to a task. */
export async function imageRowsOf(taskId: string) {
  const { results } = await env.DB.prepare('SELECT id, type, visibility, owner_id, original_key, thumb_key, ref_count, width, height FROM images WHERE task_id = ?1 ORDER BY id')
    .bind(taskId)
    .all<{ id: string; type: string; visibility: string; owner_id: string; original_key: string; thumb_key: string; ref_count: number; width: number; height: number }>()
  return results
}

/** R2 objects stored for a task's deterministic image ids (`img_<task>_<n>`). */
export async function r2KeysOf(userId: string, taskId: string): Promise<string[]> {
  const listed = await env.MEDIA.list({ prefix: `images/${userId}/img_${taskId.replace(/^tsk_/, '')}_` })
  return listed.objects.map((o) => o.key)
}

/** Polls GET /api/tasks/:id through the real Worker until the task is finished. */
export async function waitForTask(token: string, id: string, timeoutMs = 15_000): Promise<TaskDto> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const result = await callJson('GET', `/api/tasks/${id}`, undefined, { token })
    if (result.status !== 200) throw new Error(`GET task ${id}: ${result.status} ${JSON.stringify(result.body)}`)
    const { task } = dataOf(result, getTaskRoute, 200)
    if (TERMINAL.includes(task.status)) return task
    if (Date.now() > deadline) throw new Error(`task ${id} still ${task.status} after ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

export interface Seen {
  url: string
  method: string
  headers: Headers
  body: string
}

/**
 * Replaces the Worker's outgoing fetch (same isolate) with `route`. Every request is recorded;
 * a request `route` does not answer fails loudly instead of reaching the network. Bodies are read
 * as bytes then decoded (workerd warns on `.text()` of a form-encoded body).
 */
export function mockFetch(route: (req: Seen) => Response | Promise<Response> | undefined) {
  const seen: Seen[] = []
  const spy = vi.spyOn(globalThis, 'fetch').mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = new Request(input, init)
    const entry = { url: req.url, method: req.method, headers: req.headers, body: req.body ? new TextDecoder().decode(await req.arrayBuffer()) : '' }
    seen.push(entry)
    const res = await route(entry)
    if (!res) throw new Error(`unexpected outgoing fetch ${req.method} ${req.url}`)
    return res
  })
  return { seen, spy }
}

export function base64(bytes: Uint8Array): string {
  let out = ''
  for (const b of bytes) out += String.fromCharCode(b)
  return btoa(out)
}

/**
 * Standard Webhooks signing written from the spec (not src/lib/webhooks.ts), so the server's
 * verifier is checked against an independent implementation: `v1,` + base64 of
 * HMAC-SHA256(key = base64-decoded part after `whsec_`, message = `${id}.${timestamp}.${body}`).
 */
export async function standardSignature(secret: string, id: string, timestamp: number, body: string): Promise<string> {
  const keyBytes = Uint8Array.from(atob(secret.replace(/^whsec_/, '')), (c) => c.charCodeAt(0))
  const key = await crypto.subtle.importKey('raw', keyBytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`${id}.${timestamp}.${body}`)))
  return `v1,${base64(mac)}`
}

let deliveryCounter = 0

export async function signedHeaders(body: string, opts: { secret?: string; id?: string; timestamp?: number } = {}) {
  const id = opts.id ?? `msg_test_${++deliveryCounter}_${crypto.randomUUID().slice(0, 8)}`
  const timestamp = opts.timestamp ?? Math.floor(Date.now() / 1000)
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': await standardSignature(opts.secret ?? env.WEBHOOK_SECRET, id, timestamp, body),
  }
}

/** Delivers a signed callback to the real Worker (WEBHOOK_SECRET is a test binding). */
export async function deliver(path: string, payload: unknown, opts: { secret?: string; id?: string; timestamp?: number; headers?: Record<string, string> } = {}) {
  const body = JSON.stringify(payload)
  const headers = { ...(await signedHeaders(body, opts)), ...opts.headers }
  const res = await exports.default.fetch(new Request(`http://localhost${path}`, { method: 'POST', headers, body }))
  return { res, status: res.status, body: (await res.json()) as unknown }
}
